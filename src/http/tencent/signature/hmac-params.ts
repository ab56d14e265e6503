// The `Signature` parameter scheme (HmacSHA1 / HmacSHA256), spec tencent-api.md §1.3. Two users:
// - API 3.0 "v1" signature on GET/form-POST at path `/`;
// - the legacy v2 API at `/v2/index.php`.
// String to sign = METHOD + host + path + "?" + k=v pairs of every parameter but Signature, sorted by key in byte
// order, values raw (not URL-encoded). Clients sign `_` in keys as `.` (Placement_Zone -> Placement.Zone).
// Pure functions: the caller passes the secret and the current time.
import { createHmac } from 'node:crypto';
import { checkTimestamp, hostVariants, safeEqual } from './common.js';

export type HmacAlgorithm = 'sha1' | 'sha256';

/** `HmacSHA256` selects SHA-256; any other value or none means HmacSHA1 (as Tencent does). */
export function algorithmFor(signatureMethod: string | undefined): HmacAlgorithm {
  return signatureMethod === 'HmacSHA256' ? 'sha256' : 'sha1';
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function paramsStringToSign(
  method: string,
  host: string,
  path: string,
  params: Record<string, string>,
  underscoreToDot = true,
): string {
  const pairs = Object.entries(params)
    .filter(([k]) => k !== 'Signature')
    .map(([k, v]) => [underscoreToDot ? k.replace(/_/g, '.') : k, v] as const)
    .sort((a, b) => byteOrder(a[0], b[0]));
  return `${method.toUpperCase()}${host}${path}?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

/** base64 HMAC of a string to sign. */
export function signString(secretKey: string, stringToSign: string, algorithm: HmacAlgorithm): string {
  return createHmac(algorithm, secretKey).update(stringToSign, 'utf8').digest('base64');
}

/** Signs parameters as a client would (used by tests and the CLI); returns the base64 signature. */
export function signParams(
  secretKey: string,
  method: string,
  host: string,
  path: string,
  params: Record<string, string>,
): string {
  return signString(
    secretKey,
    paramsStringToSign(method, host, path, params),
    algorithmFor(params.SignatureMethod),
  );
}

export interface ParamsRequest {
  method: string;
  /** The Host header as received. */
  host: string;
  path: string;
  /** Every parameter as received and decoded once (query for GET, form body for POST). */
  params: Record<string, string>;
}

export type ParamsResult =
  { ok: true } | { ok: false; reason: 'signature' | 'expired' | 'timestamp' | 'malformed'; detail: string };

/**
 * Checks Timestamp within `maxSkewSeconds` and the Signature against host with and without port, keys with `_`
 * as `.` and as sent. Comparison is constant-time over the decoded bytes. The Nonce is the caller's business
 * (it needs storage).
 */
export function verifyParamsSignature(
  req: ParamsRequest,
  secretKey: string,
  nowSeconds: number,
  maxSkewSeconds: number,
): ParamsResult {
  const signature = req.params.Signature;
  if (!signature) return { ok: false, reason: 'malformed', detail: 'Signature is missing' };
  const check = checkTimestamp(req.params.Timestamp, nowSeconds, maxSkewSeconds);
  if (check === 'invalid') return { ok: false, reason: 'timestamp', detail: 'Timestamp is not a Unix time' };
  if (check === 'expired')
    return { ok: false, reason: 'expired', detail: 'Timestamp is too far from the server time' };

  const algorithm = algorithmFor(req.params.SignatureMethod);
  const given = Buffer.from(signature, 'base64');
  let matched = false;
  for (const host of hostVariants(req.host)) {
    for (const underscoreToDot of [true, false]) {
      const expected = Buffer.from(
        signString(
          secretKey,
          paramsStringToSign(req.method, host, req.path, req.params, underscoreToDot),
          algorithm,
        ),
        'base64',
      );
      if (safeEqual(expected, given)) matched = true;
    }
  }
  return matched ? { ok: true } : { ok: false, reason: 'signature', detail: 'signature mismatch' };
}
