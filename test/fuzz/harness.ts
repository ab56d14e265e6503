// The fuzzing harness (issue 11): a real server over a real database with a few fixtures (owner, receiver,
// stranger, admin; an active protected image, a shared one, a queued one; an API key; a console session),
// a sender that puts one generated request on the wire with a deadline, and the checks every answer must
// pass: no 5xx (nor Tencent's InternalError), no hang, no change to stored data when the request was refused.
// Used by the bounded CI run (fuzz.test.ts) and the long run (`npm run fuzz -- --minutes N`, run.ts).
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
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
  /** `abandoned`: an upload whose node died (saving, its heartbeat long stale), which an upload takes over. */
  images: { active: string; shared: string; queued: string; abandoned: string };
  /** A group of the owner's with the receiver in it, with which the shared image is shared too. */
  group: string;
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

// The stored data a refused request must leave alone: every table a request can write, each whole
// (`rows: 'all'`), by the columns listed (the others change by design on any request), or by its row count
// (`'count'`: an append-only log, which a refusal must not make grow; hashing its thousands of rows on every
// case would slow the run down as the log grows).
// Left out (LEFT_OUT), each because refusals rightly write it; fuzz.test.ts checks that every table of the
// schema is in one list or the other, so a new table is not silently unwatched.
export const LEFT_OUT: Readonly<Record<string, string>> = {
  login_failures: 'a refused login is counted there',
  used_nonces: 'a signed request spends its nonce once the signature is checked, whatever the action answers',
  tc3_signature_bindings: 'a TC3 signature is spent once checked, whatever the action answers',
  kysely_migration: "the migrations' own bookkeeping",
  kysely_migration_lock: "the migrations' own bookkeeping",
};
type Watched = { table: string; rows: 'all' | 'count' | readonly string[] };
export const WATCHED: readonly Watched[] = [
  { table: 'accounts', rows: 'all' },
  { table: 'api_keys', rows: 'all' },
  // A refused login issues no token and a refused revocation revokes none.
  { table: 'tokens', rows: 'all' },
  // last_seen_at: any request with the session's cookie is activity, refused or not.
  { table: 'console_sessions', rows: ['token_hash', 'account_id', 'created_at', 'expires_at', 'revoked_at'] },
  { table: 'images', rows: 'all' },
  { table: 'image_properties', rows: 'all' },
  { table: 'image_tags', rows: 'all' },
  { table: 'image_members', rows: 'all' },
  { table: 'instances', rows: 'all' },
  { table: 'account_groups', rows: 'all' },
  { table: 'account_group_members', rows: 'all' },
  { table: 'image_group_shares', rows: 'all' },
  { table: 'group_share_consents', rows: 'all' },
  { table: 'launch_policies', rows: 'all' },
  { table: 'webhooks', rows: 'all' },
  // Written in the transaction of the change they record: a refusal that leaves one behind changed data.
  { table: 'history_events', rows: 'count' },
  { table: 'notification_events', rows: 'count' },
  { table: 'launch_audit', rows: 'count' },
  // read_at changes only by the receiver marking it read (a served request).
  { table: 'notification_inbox', rows: 'all' },
  // A refusal must enqueue no delivery; the dispatcher's own columns (state, attempts, ...) are its own.
  { table: 'webhook_deliveries', rows: ['id', 'webhook_id', 'event_id', 'account_id', 'created_at'] },
];

/** A digest of each watched table's stored data, by table name. */
async function snapshot(server: TestServer): Promise<Map<string, string>> {
  const db = server.server.db.kysely;
  const digest = async ({ table, rows }: Watched): Promise<[string, string]> => {
    const hash = createHash('sha256');
    if (rows === 'count') {
      const n = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
      hash.update(String(n.rows[0]?.n));
    } else {
      const selected = rows === 'all' ? sql`*` : sql.join(rows.map((c) => sql.ref(c)));
      const result = await sql<Record<string, unknown>>`select ${selected} from ${sql.table(table)}`.execute(
        db,
      );
      hash.update(
        result.rows
          .map((r) => JSON.stringify(r))
          .sort()
          .join('\n'),
      );
    }
    return [table, hash.digest('hex')];
  };
  // All at once: on PostgreSQL each is a round trip, and this runs after every case.
  const out = new Map(await Promise.all(WATCHED.map(digest)));
  // Image data is stored data too: a refused upload or copy must leave no file behind, finished or not.
  const dir = server.config.blob.dir || join(server.config.dataDir, 'images');
  const files = [...(await readdir(dir)), ...(await readdir(join(dir, '.tmp'))).map((f) => `.tmp/${f}`)];
  out.set('image data files', createHash('sha256').update(files.sort().join('\n')).digest('hex'));
  return out;
}

/** The tables of the database's schema that neither WATCHED nor LEFT_OUT names. */
export async function unclassifiedTables(server: TestServer): Promise<string[]> {
  const { kysely, dialect } = server.server.db;
  const tables =
    dialect === 'postgres'
      ? await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema()`.execute(kysely)
      : await sql<{ name: string }>`select name from sqlite_master
          where type = 'table' and name not like 'sqlite_%'`.execute(kysely);
  const known = new Set([...WATCHED.map((w) => w.table), ...Object.keys(LEFT_OUT)]);
  return tables.rows.map((t) => t.name).filter((name) => !known.has(name));
}

/** The watched tables whose data differ between two snapshots. */
function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((table) => before.get(table) !== after.get(table));
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
      // No background work: the expiring-share scan (events and marks on shares the cases made with an end a
      // few seconds ahead), the webhook dispatcher (deliveries) and the blob sweep would change stored data
      // between two cases, and the change would be blamed on the next refused request.
      'notifications.scanIntervalSeconds': '0',
      'notifications.webhooks.pollIntervalMs': '0',
      'blob.sweepIntervalSeconds': '0',
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
    abandoned: await make('fuzz-abandoned', false),
  };
  await server.server.db.kysely
    .updateTable('images')
    .set({ status: 'saving', upload_id: 'fuzz-dead-node', upload_heartbeat_at: '2000-01-01T00:00:00.000Z' })
    .where('id', '=', images.abandoned)
    .execute();
  const group = (await services.groups.create(ctx, { name: 'fuzz-group' })).id;
  await services.groups.addMembers(ctx, group, [receiver.id]);
  await services.shares.shareWith(ctx, images.shared, [receiver.id, group]);
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
    group,
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
      // A redirect is the answer to this request: following it would judge another request's outcome.
      res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(DEADLINE_MS) });
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
    if (res.status >= 500 || isTencentInternalError(text)) {
      figures.serverErrors++;
      throw new FuzzFailure(`${res.status} ${text.slice(0, 300)} for ${describe(request)}`);
    }
    const now = await snapshot(server);
    if (refused) {
      figures.refused++;
      const changed = changedTables(last, now);
      if (changed.length > 0) {
        figures.refusedThatChangedData++;
        last = now;
        throw new FuzzFailure(
          `a refused request changed stored data (${changed.join(', ')}): ${res.status} ${text.slice(0, 200)} for ${describe(request)}`,
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

/**
 * Tencent's InternalError in either envelope (API 3.0 `Error.Code`, legacy `codeDesc`); the bare word may
 * be data a served answer echoes (an image named so).
 */
export function isTencentInternalError(text: string): boolean {
  return /"(Code|codeDesc)":"InternalError"/.test(text);
}

/**
 * A refusal in any dialect: an HTTP error status, a Tencent `Response.Error`, a legacy non-zero code. The
 * legacy batch's 5400 (FailedOperation: some of the batch done, some not) is a partial success: the part
 * done rightly changed data, so it counts as served.
 */
export function isRefusal(status: number, text: string): boolean {
  if (status >= 400) return true;
  if (/^\{"code":5400,/.test(text)) return false;
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
