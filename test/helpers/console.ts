// The console API over real HTTP: log in (cookie + CSRF token), then call /console/api/v1 as the browser does.
import assert from 'node:assert/strict';
import type { TestAccount, TestResponse, TestServer } from './server.js';

export const API = '/console/api/v1';

export interface ConsoleLogin {
  account: TestAccount;
  /** "imageshare_session=..." as the browser sends it back. */
  cookie: string;
  csrf: string;
  /** The Set-Cookie header of the login answer. */
  setCookie: string;
}

export async function consoleLogin(
  t: TestServer,
  account: TestAccount,
  login: string = account.id,
): Promise<ConsoleLogin> {
  const res = await t.request('POST', `${API}/session`, { body: { login, password: account.password } });
  assert.equal(res.status, 200, res.text);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] as string;
  assert.match(cookie, /^imageshare_session=[A-Za-z0-9_-]{43}$/);
  return { account, cookie, csrf: (res.body as { csrfToken: string }).csrfToken, setCookie };
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string | undefined>;
  /** Leave the CSRF header out (CSRF tests). */
  noCsrf?: boolean;
}

/** A console API call with the session's cookie and (for every method) its CSRF token. */
export function consoleCall(
  t: TestServer,
  session: ConsoleLogin | undefined,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<TestResponse> {
  return t.request(method, `${API}${path}`, {
    body: options.body,
    headers: {
      ...(session ? { cookie: session.cookie } : {}),
      ...(session && !options.noCsrf ? { 'x-csrf-token': session.csrf } : {}),
      ...options.headers,
    },
  });
}

export type Json = Record<string, unknown>;

export function errorOf(res: TestResponse): { code: string; message: string; details: Json } {
  const body = res.body as { error?: { code: string; message: string; details: Json } };
  assert.ok(body && body.error, `expected an error body, got ${res.status} ${res.text.slice(0, 300)}`);
  return body.error;
}

/** Asserts the status and the error code of a refused call. */
export function assertRefused(res: TestResponse, status: number, code: string): Json {
  assert.equal(res.status, status, res.text);
  const error = errorOf(res);
  assert.equal(error.code, code, res.text);
  assert.ok(error.message.length > 0);
  return error.details;
}

/** Creates an image through the console and uploads `data`; returns its view. */
export async function consoleImage(
  t: TestServer,
  session: ConsoleLogin,
  name: string,
  options: { region?: string; data?: Buffer } = {},
): Promise<Json> {
  const created = await consoleCall(t, session, 'POST', '/images', {
    body: { region: options.region ?? 'ap-guangzhou', name, diskFormat: 'raw', containerFormat: 'bare' },
  });
  assert.equal(created.status, 201, created.text);
  const id = (created.body as Json).id as string;
  const uploaded = await consoleCall(t, session, 'PUT', `/images/${id}/file`, {
    body: options.data ?? Buffer.from(`data of ${name}`),
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(uploaded.status, 200, uploaded.text);
  return uploaded.body as Json;
}
