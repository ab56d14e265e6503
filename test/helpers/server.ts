// A real server on 127.0.0.1 and an ephemeral port, over a fresh database of the given target (a temporary
// SQLite data folder, or a new PostgreSQL schema dropped on close), with helpers to create accounts and log in.
//
//   const t = await startTestServer({ target, overrides: { 'tokens.ttlSeconds': '5' } });
//   const alice = await t.createAccount();            // { id, name, password, isAdmin }
//   const token = await t.token(alice);               // X-Subject-Token of a project-scoped login
//   const res = await t.request('GET', '/v2/images', { token });
//   await t.close();
//
// `spawnServer` runs `imageshare serve` (the sources, through tsx) as a child process (a second node on the same database).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig, type Config } from '../../src/config.js';
import { newAccountId } from '../../src/domain/ids.js';
import { startServer, type RunningServer } from '../../src/main.js';
import type { Clock } from '../../src/services/clock.js';
import { openDatabase } from '../../src/repositories/db/database.js';
import { cliArgs, repoRoot } from './cli.js';
import { freshSchemaName, type DatabaseTarget } from './databases.js';

const postgresUrl = process.env.TEST_DATABASE_URL ?? '';

export interface TestAccount {
  id: string;
  name: string;
  password: string;
  isAdmin: boolean;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text (empty string for no body). */
  body: unknown;
  text: string;
}

export interface RequestOptions {
  token?: string;
  /** Headers to send; undefined values are left out. */
  headers?: Record<string, string | undefined>;
  /** Objects are sent as JSON; strings and buffers as they are. */
  body?: unknown;
}

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  server: RunningServer;
  config: Config;
  /** How another process opens the same database: pass these to spawnServer or the CLI. */
  database: { url: string; schema?: string; dataDir: string };
  /** The admin account bootstrapped on start. */
  admin: TestAccount;
  createAccount(options?: {
    admin?: boolean;
    name?: string;
    id?: string;
    password?: string;
  }): Promise<TestAccount>;
  /** Logs in with the password method, scoped to the account's own project by ID; returns the token. */
  token(account: TestAccount): Promise<string>;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface StartTestServerOptions {
  target: DatabaseTarget;
  /** Dotted-path config overrides, as on the command line: { 'sharing.maxAccountsPerImage': '3' }. */
  overrides?: Record<string, string>;
  profile?: string;
  /** Log level of the server (default: silent; set TEST_LOG_LEVEL=debug to see logs). */
  logLevel?: string;
  /** The clock the sharing rules read (e.g. a ManualClock the test moves across a share's end). */
  clock?: Clock;
}

let accountCounter = 0;

export function uniqueName(prefix = 'user'): string {
  accountCounter += 1;
  return `${prefix}-${accountCounter}-${randomBytes(3).toString('hex')}`;
}

export async function httpRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {}))
    if (value !== undefined) headers[name] = value;
  if (options.token) headers['x-auth-token'] = options.token;
  let body: string | Blob | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string') body = options.body;
    else if (Buffer.isBuffer(options.body)) body = new Blob([new Uint8Array(options.body)]);
    else {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = method === 'HEAD' ? '' : await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed, text } satisfies TestResponse;
}

/** The Keystone password-login body, scoped to the account's own project by ID (or `scope` as given). */
export function passwordAuthBody(
  user: { id?: string; name?: string; password: string; domain?: Record<string, string> },
  scope?: { project: Record<string, unknown> },
) {
  return { auth: { identity: { methods: ['password'], password: { user } }, ...(scope ? { scope } : {}) } };
}

export async function issueToken(
  baseUrl: string,
  account: { id: string; password: string },
): Promise<string> {
  const res = await httpRequest(baseUrl, 'POST', '/identity/v3/auth/tokens?nocatalog', {
    body: passwordAuthBody({ id: account.id, password: account.password }, { project: { id: account.id } }),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`login failed: ${res.status} ${res.text}`);
  return token;
}

export async function startTestServer(options: StartTestServerOptions): Promise<TestServer> {
  const { target } = options;
  if (target.skipReason) throw new Error(target.skipReason);
  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-server-'));
  const schema = target.dialect === 'postgres' ? freshSchemaName() : undefined;
  const adminAccount: TestAccount = {
    id: newAccountId(),
    name: 'admin',
    password: randomBytes(12).toString('base64url'),
    isAdmin: true,
  };
  const overrides: Record<string, string> = {
    'server.host': '127.0.0.1',
    'server.port': '0',
    dataDir,
    'admin.id': adminAccount.id,
    'admin.password': adminAccount.password,
    // All test requests come from 127.0.0.1; only tests about the limit want a low one.
    'login.maxFailuresPerAddress': '10000',
    ...(target.dialect === 'postgres'
      ? { 'database.url': postgresUrl, 'database.schema': schema as string }
      : {}),
    ...(options.overrides ?? {}),
  };
  const config = loadConfig({ env: {}, file: '', overrides, profile: options.profile });
  const logger = pino({ level: options.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'silent' });
  let server: RunningServer;
  try {
    server = await startServer(config, {
      logger,
      announce: () => {},
      ...(options.clock ? { clock: options.clock } : {}),
    });
  } catch (err) {
    await cleanup(dataDir, schema);
    throw err;
  }
  const url = server.url;

  const createAccount: TestServer['createAccount'] = async (opts = {}) => {
    const password = opts.password ?? randomBytes(12).toString('base64url');
    const created = await server.services.accounts.create({
      name: opts.name ?? uniqueName(opts.admin ? 'admin' : 'user'),
      password,
      isAdmin: opts.admin ?? false,
      ...(opts.id ? { id: opts.id } : {}),
    });
    return { id: created.account.id, name: created.account.name, password, isAdmin: created.account.isAdmin };
  };

  let closed = false;
  return {
    url,
    server,
    config,
    database: { url: target.dialect === 'postgres' ? postgresUrl : '', schema, dataDir },
    admin: adminAccount,
    createAccount,
    token: (account) => issueToken(url, account),
    request: (method, path, opts) => httpRequest(url, method, path, opts),
    close: async () => {
      if (closed) return;
      closed = true;
      await server.close();
      await cleanup(dataDir, schema);
    },
  };
}

async function cleanup(dataDir: string, schema: string | undefined): Promise<void> {
  if (schema) {
    const db = openDatabase({ url: postgresUrl, poolSize: 1 });
    try {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
    } finally {
      await db.close();
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Every stdout line so far (JSON log lines and the CLI's plain lines). */
  stdout: string[];
  stderr: string[];
  /** Sends the signal (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `imageshare serve --port 0 ...args` (see cli.ts) and waits for "imageshare listening on <url>".
 * The environment is cleared of IMAGESHARE_* settings so only `args` and `env` configure it.
 */
export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30000,
  /** Node arguments that run the command, before `serve`; default: the sources through tsx. */
  entry: string[] = cliArgs(),
) {
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v !== undefined &&
      !k.startsWith('IMAGESHARE_') &&
      k !== 'DATABASE_URL' &&
      k !== 'PORT' &&
      k !== 'HOST'
    ) {
      baseEnv[k] = v;
    }
  }
  const child = spawn(process.execPath, [...entry, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: repoRoot,
    // One process unless the test asks for a cluster (`--workers N`): test/ops/workers.test.ts tests the cluster;
    // every other spawned server stays a single process, so a suite does not fork twice as many.
    env: { ...baseEnv, IMAGESHARE_CONFIG: '', IMAGESHARE_SERVER__WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`server did not start in time:\n${stderr.join('\n')}`)),
      timeoutMs,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout.push(line);
      const match = /^imageshare listening on (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        res(match[1] as string);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code} before listening:\n${stderr.join('\n')}`));
    });
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return { url, child, stdout, stderr, stop } satisfies ServerProcess;
}

/**
 * Starts several servers at once (nodes starting together). When one fails to start, the others are stopped
 * before the error is thrown: a survivor nobody holds would keep the test process alive until its timeout.
 */
export async function spawnServers(
  count: number,
  ...args: Parameters<typeof spawnServer>
): Promise<ServerProcess[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => spawnServer(...args)));
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failure) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failure.reason;
  }
  return servers;
}
