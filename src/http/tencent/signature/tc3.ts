// TC3-HMAC-SHA256, the API 3.0 signature (spec tencent-api.md §2.3), verified the way real SDKs sign (§0 item 5):
// - service and date come from the Credential scope (the Node SDK puts "127" there for an endpoint 127.0.0.1:port);
// - `host` is tried as received and without its port (Node signs the hostname, Python and Go host:port);
// - header values are tried in two renderings for the whole request: every value trimmed and lowercased (the
//   doc's rule), or every value as received (what the SDKs sign; their values are already lowercase). At most
//   2 hosts x 2 renderings = 4 HMACs per request, whatever SignedHeaders says;
// - the payload hash is over the raw body bytes, or sha256("UNSIGNED-PAYLOAD") when X-TC-Content-SHA256 says so;
// - the canonical query string is the raw text after `?`, not re-encoded.
// Pure functions: the caller passes the secret and the current time.
import { createHash, createHmac } from 'node:crypto';
import { checkTimestamp, hostVariants, safeEqual, type TimestampCheck } from './common.js';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';
const AUTH_PATTERN =
  /^TC3-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s,]+)\/tc3_request, ?SignedHeaders=([a-z0-9;_.-]+), ?Signature=([0-9a-f]{64})$/;

export interface Tc3Authorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Far more than any client signs (the SDKs sign two: content-type and host; spec §2.3, §4.3). */
export const MAX_SIGNED_HEADERS = 16;

/** Why a SignedHeaders list is unacceptable (empty or repeated names, too many), or null when it is fine. */
export function signedHeadersProblem(names: readonly string[]): string | null {
  if (names.some((h) => h === '')) return 'SignedHeaders has an empty name';
  if (names.length > MAX_SIGNED_HEADERS) return `SignedHeaders lists more than ${MAX_SIGNED_HEADERS} headers`;
  if (new Set(names).size !== names.length) return 'SignedHeaders names a header more than once';
  return null;
}

/** Parses an Authorization header; null when it is not a well-formed TC3 header. */
export function parseTc3Authorization(header: string): Tc3Authorization | null {
  const m = AUTH_PATTERN.exec(header.trim());
  if (!m) return null;
  const signedHeaders = (m[4] as string).split(';');
  // Refused here, before the key lookup and any HMAC (see verifyTc3 for why the list must be bounded).
  if (signedHeadersProblem(signedHeaders) !== null) return null;
  return {
    secretId: m[1] as string,
    date: m[2] as string,
    service: m[3] as string,
    signedHeaders,
    signature: m[5] as string,
  };
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** UTC yyyy-mm-dd of a Unix time in seconds. */
export function utcDate(timestampSeconds: number): string {
  return new Date(timestampSeconds * 1000).toISOString().slice(0, 10);
}

export interface Tc3SignInput {
  secretKey: string;
  method: string;
  /** The raw query string after `?` ("" for none). */
  rawQuery: string;
  /** Signed header names (lower case, in the order signed) and their values. */
  headers: Array<[name: string, value: string]>;
  payloadHash: string;
  timestamp: string;
  date: string;
  service: string;
}

export function tc3CanonicalRequest(
  input: Omit<Tc3SignInput, 'secretKey' | 'timestamp' | 'date' | 'service'>,
): string {
  const canonicalHeaders = input.headers.map(([k, v]) => `${k}:${v}\n`).join('');
  const signedHeaders = input.headers.map(([k]) => k).join(';');
  return [
    input.method.toUpperCase(),
    '/',
    input.rawQuery,
    canonicalHeaders,
    signedHeaders,
    input.payloadHash,
  ].join('\n');
}

export function tc3StringToSign(input: Omit<Tc3SignInput, 'secretKey'>): string {
  return [
    TC3_ALGORITHM,
    input.timestamp,
    `${input.date}/${input.service}/tc3_request`,
    sha256Hex(tc3CanonicalRequest(input)),
  ].join('\n');
}

/** The lowercase hex signature. */
export function tc3Sign(input: Tc3SignInput): string {
  const secretDate = hmac(`TC3${input.secretKey}`, input.date);
  const secretService = hmac(secretDate, input.service);
  const secretSigning = hmac(secretService, 'tc3_request');
  return createHmac('sha256', secretSigning).update(tc3StringToSign(input), 'utf8').digest('hex');
}

export interface Tc3Request {
  method: string;
  rawQuery: string;
  /** Header names in lower case; repeated headers joined with ", " as Node does. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export type Tc3Result =
  { ok: true } | { ok: false; reason: 'signature' | 'expired' | 'timestamp' | 'malformed'; detail: string };

/** The hash the client signed: of the raw body, or of the literal "UNSIGNED-PAYLOAD" when it said so. */
export function tc3PayloadHash(req: Tc3Request): string {
  const declared = req.headers['x-tc-content-sha256'];
  if (declared !== undefined && declared.trim() === 'UNSIGNED-PAYLOAD') return sha256Hex('UNSIGNED-PAYLOAD');
  return sha256Hex(req.body);
}

/**
 * Checks the timestamp window, the scope date, and the signature (constant-time) against the accepted renderings
 * of the signed headers: host with and without port, times all values trimmed+lowercased or all as received.
 */
export function verifyTc3(
  req: Tc3Request,
  auth: Tc3Authorization,
  secretKey: string,
  nowSeconds: number,
  maxSkewSeconds: number,
): Tc3Result {
  const timestamp = req.headers['x-tc-timestamp'];
  const check: TimestampCheck = checkTimestamp(timestamp, nowSeconds, maxSkewSeconds);
  if (check === 'invalid')
    return { ok: false, reason: 'timestamp', detail: 'X-TC-Timestamp is not a Unix time' };
  if (check === 'expired') {
    return { ok: false, reason: 'expired', detail: 'X-TC-Timestamp is too far from the server time' };
  }
  const ts = timestamp as string;
  if (auth.date !== utcDate(Number(ts))) {
    return {
      ok: false,
      reason: 'signature',
      detail: 'the credential date is not the UTC date of X-TC-Timestamp',
    };
  }
  // Also checked by parseTc3Authorization; again here for callers that build a Tc3Authorization themselves.
  const problem = signedHeadersProblem(auth.signedHeaders);
  if (problem !== null) return { ok: false, reason: 'malformed', detail: problem };
  if (!auth.signedHeaders.includes('content-type') || !auth.signedHeaders.includes('host')) {
    return { ok: false, reason: 'malformed', detail: 'SignedHeaders must include content-type and host' };
  }

  const values: string[] = [];
  for (const name of auth.signedHeaders) {
    // Own properties only: the names come from the client (`constructor` must not find Object's).
    const raw = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
    if (typeof raw !== 'string')
      return { ok: false, reason: 'signature', detail: `signed header ${name} is missing` };
    values.push(raw);
  }
  // A fixed handful of candidates for the whole request. Security: this used to be the cartesian product of
  // two renderings per signed header; 18 repeated names cost ~9 s of event loop per request.
  const hostAt = auth.signedHeaders.indexOf('host');
  const candidates: string[][] = [];
  for (const host of hostVariants((values[hostAt] as string).trim())) {
    for (const normalise of [true, false]) {
      candidates.push(
        values.map((v, i) => {
          const value = i === hostAt ? host : v;
          return normalise ? value.trim().toLowerCase() : value;
        }),
      );
    }
  }
  const payloadHash = tc3PayloadHash(req);
  const expected = Buffer.from(auth.signature, 'utf8');
  let matched = false;
  for (const rendered of candidates) {
    const actual = tc3Sign({
      secretKey,
      method: req.method,
      rawQuery: req.rawQuery,
      headers: auth.signedHeaders.map((name, i) => [name, rendered[i] as string]),
      payloadHash,
      timestamp: ts,
      date: auth.date,
      service: auth.service,
    });
    // Keep going after a match so the time taken does not depend on which rendering matched.
    if (safeEqual(Buffer.from(actual, 'utf8'), expected)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'signature', detail: 'signature mismatch' };
}
