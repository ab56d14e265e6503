// A small HTTP client over node:http (loopback, keep-alive, no proxy): JSON calls, a Keystone login, and
// image data streamed both ways without holding it in memory.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Readable } from 'node:stream';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface JsonResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  text: string;
}

export interface CallOptions {
  token?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
}

function requestOptions(baseUrl: string, method: string, path: string, headers: Record<string, string>) {
  const url = new URL(path, baseUrl);
  return {
    agent,
    method,
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers,
  } satisfies http.RequestOptions;
}

export function call(baseUrl: string, method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers['x-auth-token'] = options.token;
  let payload: Buffer | undefined;
  if (options.json !== undefined) {
    payload = Buffer.from(JSON.stringify(options.json));
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise<JsonResponse>((resolve, reject) => {
    const req = http.request(requestOptions(baseUrl, method, path, headers), (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if ((res.headers['content-type'] ?? '').includes('json') && text) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Calls and insists on one of the expected statuses. */
export async function callOk(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
  expect: number[] = [200, 201, 204],
): Promise<JsonResponse> {
  const res = await call(baseUrl, method, path, options);
  if (!expect.includes(res.status)) {
    throw new Error(`${method} ${path} -> ${res.status} ${res.text.slice(0, 400)}`);
  }
  return res;
}

/** Password login scoped to the account's own project; returns the X-Subject-Token. */
export async function login(baseUrl: string, account: { id: string; password: string }): Promise<string> {
  const res = await callOk(baseUrl, 'POST', '/identity/v3/auth/tokens?nocatalog', {
    json: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { id: account.id, password: account.password } },
        },
        scope: { project: { id: account.id } },
      },
    },
  });
  const token = res.headers['x-subject-token'];
  if (typeof token !== 'string') throw new Error('login answered without X-Subject-Token');
  return token;
}

export interface TransferResult {
  status: number;
  bytes: number;
  seconds: number;
  md5: string;
  sha512: string;
  /** The response body, when it is small (upload answers). */
  text: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * Streams `body` as a chunked PUT, hashing (MD5, SHA-512) what is sent. Backpressure from the socket paces
 * the producer, so neither side needs the whole body in memory.
 */
export function streamUpload(
  baseUrl: string,
  path: string,
  token: string,
  body: Readable,
): Promise<TransferResult> {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let bytes = 0;
  const started = process.hrtime.bigint();
  return new Promise<TransferResult>((resolve, reject) => {
    const req = http.request(
      requestOptions(baseUrl, 'PUT', path, {
        'x-auth-token': token,
        'content-type': 'application/octet-stream',
        'transfer-encoding': 'chunked',
      }),
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            bytes,
            seconds: Number(process.hrtime.bigint() - started) / 1e9,
            md5: md5.digest('hex'),
            sha512: sha512.digest('hex'),
            text: Buffer.concat(chunks).toString('utf8').slice(0, 2000),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    body.on('error', (err) => req.destroy(err));
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      md5.update(chunk);
      sha512.update(chunk);
      if (!req.write(chunk)) {
        body.pause();
        req.once('drain', () => body.resume());
      }
    });
    body.on('end', () => req.end());
  });
}

/** GETs `path` and hashes the body as it streams in; nothing is kept. */
export function streamDownload(
  baseUrl: string,
  path: string,
  token: string,
  headers: Record<string, string> = {},
  options: { keep?: boolean } = {},
): Promise<TransferResult & { body?: Buffer }> {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let bytes = 0;
  const kept: Buffer[] = [];
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      requestOptions(baseUrl, 'GET', path, { 'x-auth-token': token, ...headers }),
      (res) => {
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          md5.update(chunk);
          sha512.update(chunk);
          if (options.keep) kept.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            bytes,
            seconds: Number(process.hrtime.bigint() - started) / 1e9,
            md5: md5.digest('hex'),
            sha512: sha512.digest('hex'),
            text: '',
            headers: res.headers,
            ...(options.keep ? { body: Buffer.concat(kept) } : {}),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}
