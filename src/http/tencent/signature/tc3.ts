// TC3-HMAC-SHA256, the API 3.0 signature (spec tencent-api.md §2.3), verified the way real SDKs sign (§0 item 5):
// - service and date come from the Credential scope (the Node SDK puts "127" there for an endpoint 127.0.0.1:port);
// - `host` is tried as received and without its port (Node signs the hostname, Python and Go host:port);
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

/** Parses an Authorization header; null when it is not a well-formed TC3 header. */
export function parseTc3Authorization(header: string): Tc3Authorization | null {
  const m = AUTH_PATTERN.exec(header.trim());
  if (!m) return null;
  const signedHeaders = (m[4] as string).split(';');
  if (signedHeaders.some((h) => h === '')) return null;
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
 * Checks the timestamp window, the scope date, and the signature (constant-time) against every accepted
 * rendering of the signed headers: host with and without port, and each header value trimmed+lowercased or raw.
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
  if (!auth.signedHeaders.includes('content-type') || !auth.signedHeaders.includes('host')) {
    return { ok: false, reason: 'malformed', detail: 'SignedHeaders must include content-type and host' };
  }

  // Candidate values for each signed header; the cartesian product is tiny (at most 2 x 2 in practice).
  const choices: string[][] = [];
  for (const name of auth.signedHeaders) {
    const raw = req.headers[name];
    if (raw === undefined)
      return { ok: false, reason: 'signature', detail: `signed header ${name} is missing` };
    const normalised = raw.trim().toLowerCase();
    const values =
      name === 'host'
        ? hostVariants(raw.trim()).flatMap((h) => unique([h.toLowerCase(), h]))
        : unique([normalised, raw]);
    choices.push(values);
  }
  const payloadHash = tc3PayloadHash(req);
  const expected = Buffer.from(auth.signature, 'utf8');
  let matched = false;
  for (const combination of product(choices)) {
    const actual = tc3Sign({
      secretKey,
      method: req.method,
      rawQuery: req.rawQuery,
      headers: auth.signedHeaders.map((name, i) => [name, combination[i] as string]),
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

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function* product(choices: string[][]): Generator<string[]> {
  if (choices.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = choices;
  for (const value of first as string[]) {
    for (const tail of product(rest)) yield [value, ...tail];
  }
}
