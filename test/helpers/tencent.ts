// Tencent API test helpers: the official Node SDK pointed at a test server, and hand-signed raw requests
// (for what the SDK cannot do on purpose: old timestamps, replayed nonces, odd bodies).
import { randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import * as tencentcloud from 'tencentcloud-sdk-nodejs-cvm';
import { sha256Hex, tc3Sign, utcDate } from '../../src/http/tencent/signature/tc3.js';
import { signParams } from '../../src/http/tencent/signature/hmac-params.js';
import type { Services } from '../../src/services/container.js';
import type { RequestContext } from '../../src/services/context.js';

// The SDK honours http_proxy even for plain-http endpoints (spec §4.2).
delete process.env.http_proxy;
delete process.env.HTTP_PROXY;

export const CvmClient = tencentcloud.cvm.v20170312.Client;
export type CvmClientType = InstanceType<typeof CvmClient>;

export interface Key {
  secretId: string;
  secretKey: string;
}

export interface ClientOptions {
  region?: string;
  signMethod?: 'TC3-HMAC-SHA256' | 'HmacSHA256' | 'HmacSHA1';
  reqMethod?: 'POST' | 'GET';
}

/** The official SDK, configured as spec §4.4 shows: endpoint host:port, protocol http://. */
export function cvmClient(baseUrl: string, key: Key, options: ClientOptions = {}): CvmClientType {
  return new CvmClient({
    credential: { secretId: key.secretId, secretKey: key.secretKey },
    region: options.region ?? 'ap-guangzhou',
    profile: {
      signMethod: options.signMethod ?? 'TC3-HMAC-SHA256',
      httpProfile: {
        endpoint: new URL(baseUrl).host,
        protocol: 'http://',
        reqMethod: options.reqMethod ?? 'POST',
        reqTimeout: 10,
      },
    },
  });
}

/** Runs an SDK call expected to fail; returns the SDK exception's code (undefined if it had none). */
export async function sdkErrorCode(call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await call();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  throw new Error('the call succeeded but was expected to fail');
}

export interface RawResponse {
  status: number;
  contentType: string | null;
  body: {
    Response: Record<string, unknown> & { Error?: { Code: string; Message: string }; RequestId: string };
  };
}

async function send(url: string, init: RequestInit): Promise<RawResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: JSON.parse(text) as RawResponse['body'],
  };
}

export interface Tc3Options {
  action: string;
  body?: string | Buffer;
  region?: string | null;
  version?: string;
  timestamp?: number;
  service?: string;
  contentType?: string;
  extraHeaders?: Record<string, string>;
  /** Sign the host with its port (Python/Go) instead of without (Node). */
  signPort?: boolean;
  method?: 'POST' | 'GET';
  query?: string;
  /** Mutation tests: sign this host instead of the real one, or send this body instead of the signed one. */
  signedHost?: string;
  sentBody?: string;
  sentQuery?: string;
}

/** A hand-signed TC3-HMAC-SHA256 request, as the SDKs build it. */
export async function tc3Request(baseUrl: string, key: Key, options: Tc3Options): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const method = options.method ?? 'POST';
  const body = method === 'GET' ? Buffer.alloc(0) : Buffer.from(options.body ?? '{}');
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const contentType =
    options.contentType ?? (method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json');
  const date = utcDate(timestamp);
  const service = options.service ?? 'cvm';
  const signature = tc3Sign({
    secretKey: key.secretKey,
    method,
    rawQuery: options.query ?? '',
    headers: [
      ['content-type', contentType],
      ['host', options.signedHost ?? (options.signPort ? url.host : url.hostname)],
    ],
    payloadHash: sha256Hex(body),
    timestamp: String(timestamp),
    date,
    service,
  });
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-tc-action': options.action,
    'x-tc-timestamp': String(timestamp),
    'x-tc-version': options.version ?? '2017-03-12',
    authorization: `TC3-HMAC-SHA256 Credential=${key.secretId}/${date}/${service}/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
    ...(options.region === null ? {} : { 'x-tc-region': options.region ?? 'ap-guangzhou' }),
    ...(options.extraHeaders ?? {}),
  };
  const query = options.sentQuery ?? options.query;
  return send(`${baseUrl}/${query ? `?${query}` : ''}`, {
    method,
    headers,
    body:
      method === 'GET'
        ? undefined
        : new Uint8Array(options.sentBody !== undefined ? Buffer.from(options.sentBody) : body),
  });
}

export interface ParamsOptions {
  method?: 'GET' | 'POST';
  path?: string;
  timestamp?: number;
  nonce?: string;
  signatureMethod?: 'HmacSHA1' | 'HmacSHA256';
  /** Extra parameters to add after signing (mutation tests). */
  unsigned?: Record<string, string>;
}

/** A hand-signed request with the `Signature` parameter (API 3.0 v1 at `/`, legacy at `/v2/index.php`). */
export async function paramsRequest(
  baseUrl: string,
  key: Key,
  params: Record<string, string>,
  options: ParamsOptions = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const method = options.method ?? 'POST';
  const path = options.path ?? '/';
  const all: Record<string, string> = {
    ...params,
    SecretId: key.secretId,
    Timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    Nonce: options.nonce ?? String(randomInt(1, 2 ** 31)),
    SignatureMethod: options.signatureMethod ?? 'HmacSHA256',
  };
  all.Signature = signParams(key.secretKey, method, url.host, path, all);
  Object.assign(all, options.unsigned ?? {});
  const encoded = new URLSearchParams(all).toString();
  if (method === 'GET') return send(`${baseUrl}${path}?${encoded}`, { method });
  return send(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: encoded,
  });
}

/** An active image of the caller in ctx.region, with 4 bytes of data; returns its ID. */
export async function createActiveImage(
  services: Services,
  ctx: RequestContext,
  name: string,
): Promise<string> {
  const created = await services.images.create(ctx, { name, diskFormat: 'raw', containerFormat: 'bare' });
  await services.images.upload(ctx, created.id, Readable.from([Buffer.from('data')]));
  return created.id;
}
