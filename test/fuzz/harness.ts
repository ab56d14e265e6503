// The fuzzing harness (issue 11): a real server over a real database with a few fixtures (owner, receiver,
// stranger, admin; an active protected image, a shared one, a queued one; an API key; a console session),
// a sender that puts one generated request on the wire with a deadline, and the checks every answer must
// pass: no 5xx (nor Tencent's InternalError), no hang, no change to stored data when the request was refused.
// Used by the bounded CI run (fuzz.test.ts) and the long run (`npm run fuzz -- --minutes N`, run.ts).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { DatabaseTarget } from '../helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';
import { sha256Hex, tc3Sign, utcDate } from '../../src/http/tencent/signature/tc3.js';
import { signParams } from '../../src/http/tencent/signature/hmac-params.js';
import type { RequestContext } from '../../src/services/context.js';

/** One generated request, as it goes on the wire. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /**
   * Signed just before sending (the signature covers the generated parameters, so they reach validation
   * and the handlers): TC3 over the body and query, or the `Signature` parameter over a query or form.
   */
  sign?: 'tc3' | 'params' | null;
  /** For sign: 'params', the parameters to sign and send (as query for GET, form for POST). */
  params?: Record<string, string>;
}

export interface Fixtures {
  url: string;
  owner: TestAccount;
  receiver: TestAccount;
  stranger: TestAccount;
  tokens: { owner: string; receiver: string; stranger: string; admin: string };
  key: { secretId: string; secretKey: string };
  console: { cookie: string; csrf: string };
  images: { active: string; shared: string; queued: string };
}

export interface Figures {
  cases: number;
  refused: number;
  served: number;
  serverErrors: number;
  hangs: number;
  refusedThatChangedData: number;
  clientRefusedToSend: number;
  bySurface: Record<string, number>;
  servedBySurface: Record<string, number>;
}

export function emptyFigures(): Figures {
  return {
    cases: 0,
    refused: 0,
    served: 0,
    serverErrors: 0,
    hangs: 0,
    refusedThatChangedData: 0,
    clientRefusedToSend: 0,
    bySurface: {},
    servedBySurface: {},
  };
}

/** Per-request deadline: an answer slower than this is a hang. */
export const DEADLINE_MS = 10_000;

export class FuzzFailure extends Error {}

export interface FuzzTarget {
  fixtures: Fixtures;
  server: TestServer;
  /** Sends one request and checks the invariants; throws FuzzFailure on a violation. */
  check(surface: string, request: FuzzRequest, figures: Figures): Promise<void>;
  close(): Promise<void>;
}

// The stored data a refused request must leave alone. Counters and logs that refusals rightly write (failed
// logins, used nonces, tokens and sessions issued by the fixtures, history of accepted changes) are left out.
const WATCHED = [
  'accounts',
  'api_keys',
  'images',
  'image_properties',
  'image_tags',
  'image_members',
  'instances',
] as const;

async function snapshot(server: TestServer): Promise<string> {
  const hash = createHash('sha256');
  for (const table of WATCHED) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
      server.server.db.kysely,
    );
    const lines = rows.rows.map((r) => JSON.stringify(r)).sort();
    hash.update(`${table}\n${lines.join('\n')}\n`);
  }
  return hash.digest('hex');
}

export async function startFuzzTarget(target: DatabaseTarget): Promise<FuzzTarget> {
  const server = await startTestServer({
    target,
    overrides: {
      // The fuzzer is one client hammering a few accounts: the limits under test elsewhere would answer
      // most of its requests with 429 and hide the code behind them.
      'rateLimits.writes.perSecond': '0',
      'login.maxFailuresPerAccountAddress': '1000000',
      'login.maxFailuresPerAccount': '1000000',
      'login.maxFailuresPerAddress': '1000000',
    },
  });
  const owner = await server.createAccount();
  const receiver = await server.createAccount();
  const stranger = await server.createAccount();
  const services = server.server.services;
  const ctx: RequestContext = {
    caller: { accountId: owner.id, isAdmin: false },
    region: 'ap-guangzhou',
    surface: 'openstack',
  };
  const make = async (name: string, data: boolean) => {
    const image = await services.images.create(ctx, { name, diskFormat: 'raw', containerFormat: 'bare' });
    if (data) await services.images.upload(ctx, image.id, Readable.from([Buffer.from('fuzz-data')]));
    // Protected: a random but valid DELETE must not end the fixtures early (it is refused, as it should be).
    await services.images.update(ctx, image.id, { protected: true });
    return image.id;
  };
  const images = {
    active: await make('fuzz-active', true),
    shared: await make('fuzz-shared', true),
    queued: await make('fuzz-queued', false),
  };
  await services.shares.shareWith(ctx, images.shared, [receiver.id]);
  const key = await services.apiKeys.create(owner.id);
  const login = await fetch(`${server.url}/console/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: owner.id, password: owner.password }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
  const fixtures: Fixtures = {
    url: server.url,
    owner,
    receiver,
    stranger,
    tokens: {
      owner: await server.token(owner),
      receiver: await server.token(receiver),
      stranger: await server.token(stranger),
      admin: await server.token(server.admin),
    },
    key,
    console: { cookie, csrf },
    images,
  };

  let last = await snapshot(server);
  const host = new URL(server.url).host;

  async function check(surface: string, request: FuzzRequest, figures: Figures): Promise<void> {
    figures.cases++;
    figures.bySurface[surface] = (figures.bySurface[surface] ?? 0) + 1;
    const { url, init } = wire(request, fixtures, host);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(DEADLINE_MS) });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') {
        figures.hangs++;
        throw new FuzzFailure(`no answer within ${DEADLINE_MS} ms: ${describe(request)}`);
      }
      // The client itself would not send it (a header value with a NUL or a newline, a bad URL).
      if (
        (e.name === 'TypeError' && !/fetch failed/.test(e.message)) ||
        e.cause?.code === 'UND_ERR_INVALID_ARG'
      ) {
        figures.clientRefusedToSend++;
        return;
      }
      // Over the header limit Node answers 431 and closes at once; a client still sending its body may see
      // the close before the answer. That is the limit working, not a failure.
      if (headerBytes(url, init) > server.config.server.maxHeaderBytes * 0.9) {
        figures.refused++;
        return;
      }
      figures.serverErrors++;
      throw new FuzzFailure(`connection failed (${e.cause?.code ?? e.message}): ${describe(request)}`);
    }
    const refused = isRefusal(res.status, text);
    if (res.status >= 500 || /"InternalError"/.test(text)) {
      figures.serverErrors++;
      throw new FuzzFailure(`${res.status} ${text.slice(0, 300)} for ${describe(request)}`);
    }
    const now = await snapshot(server);
    if (refused) {
      figures.refused++;
      if (now !== last) {
        figures.refusedThatChangedData++;
        last = now;
        throw new FuzzFailure(
          `a refused request changed stored data: ${res.status} ${text.slice(0, 200)} for ${describe(request)}`,
        );
      }
    } else {
      figures.served++;
      figures.servedBySurface[surface] = (figures.servedBySurface[surface] ?? 0) + 1;
    }
    if (process.env.FUZZ_TRACE) console.log(surface, res.status, text.slice(0, 160));
    last = now;
  }

  return { fixtures, server, check, close: () => server.close() };
}

/** The text without control characters (except tab): no HTTP client can put them in a header. */
export function withoutControls(value: string): string {
  return [...value].filter((c) => c === '\t' || (c >= ' ' && c !== '\u007f')).join('');
}

/** About how many bytes the request line and headers take on the wire. */
function headerBytes(url: string, init: RequestInit): number {
  let total = url.length + 16;
  for (const [name, value] of Object.entries((init.headers ?? {}) as Record<string, string>)) {
    total += name.length + value.length + 4;
  }
  return total;
}

/** A refusal in any dialect: an HTTP error status, a Tencent `Response.Error`, a legacy non-zero code. */
function isRefusal(status: number, text: string): boolean {
  if (status >= 400) return true;
  return /^\{"Response":\{"Error"/.test(text) || /^\{"code":[1-9]/.test(text);
}

function describe(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : String(request.body).slice(0, 200);
  return `${request.method} ${request.path.slice(0, 200)} ${JSON.stringify(request.headers).slice(0, 200)} ${body} ${request.params ? JSON.stringify(request.params).slice(0, 200) : ''}`;
}

/** Turns a generated request into fetch's arguments, signing it when asked. */
function wire(request: FuzzRequest, fx: Fixtures, host: string): { url: string; init: RequestInit } {
  const headers = { ...request.headers };
  let path = request.path;
  let body: string | Buffer | undefined = request.body;
  if (request.sign === 'tc3') {
    const timestamp = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(body ?? '');
    const contentType = headers['content-type'] ?? 'application/json';
    const query = path.includes('?') ? path.slice(path.indexOf('?') + 1) : '';
    const date = utcDate(timestamp);
    const signature = tc3Sign({
      secretKey: fx.key.secretKey,
      method: request.method,
      rawQuery: query,
      headers: [
        ['content-type', contentType],
        ['host', host.split(':')[0] as string],
      ],
      payloadHash: sha256Hex(payload),
      timestamp: String(timestamp),
      date,
      service: 'cvm',
    });
    headers['content-type'] = contentType;
    headers['x-tc-timestamp'] = String(timestamp);
    headers.authorization = `TC3-HMAC-SHA256 Credential=${fx.key.secretId}/${date}/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`;
  } else if (request.sign === 'params' && request.params) {
    const params: Record<string, string> = {
      ...request.params,
      SecretId: fx.key.secretId,
      Timestamp: String(Math.floor(Date.now() / 1000)),
      Nonce: String(1 + Math.floor(Math.random() * 2 ** 31)),
      SignatureMethod: 'HmacSHA256',
    };
    params.Signature = signParams(fx.key.secretKey, request.method, host, path, params);
    const encoded = new URLSearchParams(params).toString();
    if (request.method === 'GET') path = `${path}?${encoded}`;
    else {
      body = encoded;
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
  }
  // Header values go out as raw bytes, as an attacker's client sends them: UTF-8 for any unicode, control
  // characters (which no HTTP client can send: they end the header) dropped.
  for (const [name, value] of Object.entries(headers)) {
    headers[name] = Buffer.from(withoutControls(value), 'utf8').toString('latin1');
  }
  const hasBody = body !== undefined && !['GET', 'HEAD'].includes(request.method);
  return {
    url: `${fx.url}${path}`,
    init: {
      method: request.method,
      headers,
      ...(hasBody ? { body: typeof body === 'string' ? body : new Uint8Array(body as Buffer) } : {}),
    },
  };
}
