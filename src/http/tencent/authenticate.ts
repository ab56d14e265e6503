// Authentication for the Tencent surfaces: finds the API key, then runs the pure verifiers in ./signature.
// Order: cheap checks first (format, timestamp window), then the key lookup, then the HMAC, and only after a
// valid signature the Nonce (so an unsigned request cannot burn someone's nonces).
import type { Config } from '../../config.js';
import type { Caller } from '../../domain/types.js';
import type { ApiKeyService } from '../../services/api-key.service.js';
import { SECRET_ID_PATTERN } from '../../services/api-key.service.js';
import { TencentError } from './error-codes.js';
import { checkTimestamp } from './signature/common.js';
import { verifyParamsSignature, type ParamsRequest } from './signature/hmac-params.js';
import { parseTc3Authorization, verifyTc3, type Tc3Request } from './signature/tc3.js';

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

const MESSAGES = {
  signature: 'The provided credentials could not be validated. Please check your signature is correct.',
  expired:
    'Signature expired: the request timestamp is more than the allowed skew away from the server time.',
  secretIdNotFound: 'The SecretId is not found, or the key or its account is disabled.',
  invalidSecretId: 'The SecretId is not an API key (expected AKID followed by 32 letters and digits).',
};

async function lookUp(apiKeys: ApiKeyService, secretId: string) {
  if (!SECRET_ID_PATTERN.test(secretId))
    throw new TencentError('AuthFailure.InvalidSecretId', MESSAGES.invalidSecretId);
  const key = await apiKeys.resolve(secretId);
  if (!key) throw new TencentError('AuthFailure.SecretIdNotFound', MESSAGES.secretIdNotFound);
  return key;
}

/** API 3.0 TC3-HMAC-SHA256 (Authorization header). */
export async function authenticateTc3(
  apiKeys: ApiKeyService,
  config: Config,
  req: Tc3Request,
  /** What the request asks for, from headers the SDKs do not sign: the signature is bound to it. */
  call: { action: string; region: string; version: string },
): Promise<Caller> {
  const header = req.headers['authorization'] ?? '';
  const auth = parseTc3Authorization(header);
  if (!auth) {
    throw new TencentError(
      'AuthFailure.InvalidAuthorization',
      'The Authorization header is not a valid TC3-HMAC-SHA256 authorization.',
    );
  }
  if (req.headers['x-tc-token']) {
    throw new TencentError(
      'AuthFailure.TokenFailure',
      'Temporary credentials (X-TC-Token) are not supported.',
    );
  }
  const max = config.tencent.maxClockSkewSeconds;
  const window = checkTimestamp(req.headers['x-tc-timestamp'], nowSeconds(), max);
  if (window === 'invalid')
    throw new TencentError('InvalidParameter', 'X-TC-Timestamp must be a Unix time in seconds.');
  if (window === 'expired') throw new TencentError('AuthFailure.SignatureExpire', MESSAGES.expired);
  const key = await lookUp(apiKeys, auth.secretId);
  const result = verifyTc3(req, auth, key.secretKey, nowSeconds(), max);
  if (!result.ok) {
    if (result.reason === 'expired') throw new TencentError('AuthFailure.SignatureExpire', MESSAGES.expired);
    if (result.reason === 'malformed')
      throw new TencentError('AuthFailure.InvalidAuthorization', result.detail);
    throw new TencentError('AuthFailure.SignatureFailure', MESSAGES.signature);
  }
  // A signature stays acceptable while its timestamp is within the skew either way: twice the skew.
  if (
    callIsUnsigned(req, auth.signedHeaders) &&
    !(await apiKeys.bindTc3Signature(auth.signature, call, 2 * max))
  ) {
    throw new TencentError(
      'AuthFailure.SignatureFailure',
      'This signature was already used for another action, region or version: the request is a replay.',
    );
  }
  return { accountId: key.accountId, isAdmin: key.isAdmin };
}

/** Headers naming the call; the SDKs send them without signing them. A query or body value is signed. */
const CALL_HEADERS = ['x-tc-action', 'x-tc-region', 'x-tc-version'];

/** True when a header naming the call was sent but not signed, so the signature alone does not fix the call. */
function callIsUnsigned(req: Tc3Request, signedHeaders: readonly string[]): boolean {
  return CALL_HEADERS.some((name) => req.headers[name] !== undefined && !signedHeaders.includes(name));
}

export interface ParamsAuthOptions {
  maxSkewSeconds: number;
  /** Code for a replayed Nonce: API 3.0 has none of its own; the legacy API answers 4500. */
  replayCode: string;
  /** Code for a missing SecretId/Signature/Nonce/Timestamp. */
  missingCode: string;
}

/** The `Signature` parameter scheme: API 3.0 v1 (path `/`) and legacy v2 (path `/v2/index.php`). */
export async function authenticateParams(
  apiKeys: ApiKeyService,
  req: ParamsRequest,
  options: ParamsAuthOptions,
): Promise<Caller> {
  for (const name of ['SecretId', 'Signature', 'Timestamp', 'Nonce']) {
    if (!req.params[name]) {
      throw new TencentError(options.missingCode, `The request is missing a required parameter ${name}.`);
    }
  }
  if (req.params.Token)
    throw new TencentError('AuthFailure.TokenFailure', 'Temporary credentials (Token) are not supported.');
  const window = checkTimestamp(req.params.Timestamp, nowSeconds(), options.maxSkewSeconds);
  if (window === 'invalid')
    throw new TencentError('InvalidParameter', 'Timestamp must be a Unix time in seconds.');
  if (window === 'expired') throw new TencentError('AuthFailure.SignatureExpire', MESSAGES.expired);
  if (!/^\d{1,20}$/.test(req.params.Nonce as string)) {
    throw new TencentError('InvalidParameter', 'Nonce must be a positive integer of at most 20 digits.');
  }
  const secretId = req.params.SecretId as string;
  const key = await lookUp(apiKeys, secretId);
  const result = verifyParamsSignature(req, key.secretKey, nowSeconds(), options.maxSkewSeconds);
  if (!result.ok) {
    if (result.reason === 'expired') throw new TencentError('AuthFailure.SignatureExpire', MESSAGES.expired);
    throw new TencentError('AuthFailure.SignatureFailure', MESSAGES.signature);
  }
  // A nonce must be remembered as long as its Timestamp stays acceptable: up to twice the skew.
  const fresh = await apiKeys.rememberNonce(secretId, req.params.Nonce as string, 2 * options.maxSkewSeconds);
  if (!fresh) {
    throw new TencentError(
      options.replayCode,
      'The Nonce was already used with this SecretId: the request is a replay.',
    );
  }
  return { accountId: key.accountId, isAdmin: key.isAdmin };
}
