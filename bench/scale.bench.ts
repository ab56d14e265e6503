// Lists at scale (issue 10): a generator loads N images and M shares straight into the database (PostgreSQL:
// INSERT ... SELECT over generate_series; SQLite: a recursive CTE; never through the API), then the first
// page of the three lists an account sees is timed in-process and over HTTP, at a small size and at N, so
// the two show whether a page's cost grows with the table. Every account owns the same number of images and
// holds the same number of shares at both sizes (accounts = images / IMAGES_PER_ACCOUNT): only the table
// grows. The same run also compares, call by call (alternating), the list page as five round trips
// (listPage + hydrate: three branches, tags, properties) against one (listImages), and on PostgreSQL unnamed
// against prepared statements. The schema (or SQLite file) is dropped afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { migrateToLatest, openDatabase, type Db, type DialectName } from '../src/repositories/db/database.js';
import { ImageRepository } from '../src/repositories/db/image.repository.js';
import { NotificationRepository } from '../src/repositories/db/notification.repository.js';
import { LocalBlobStore } from '../src/repositories/blob/local-blob-store.js';
import { KyselyImageUnitOfWork } from '../src/repositories/db/transaction.js';
import { systemClock } from '../src/services/clock.js';
import type { RequestContext } from '../src/services/context.js';
import { ImageService, type ImageListQuery } from '../src/services/image.service.js';
import { memberStatuses } from '../src/domain/types.js';
import { relationsOfKinds } from '../src/domain/visibility.js';
import { hashPassword } from '../src/services/passwords.js';
import { callOk, login } from './lib/http.js';
import { runLoad, summarize, type LoadResult } from './lib/load.js';
import { startServerProcess } from './lib/server-process.js';
import { explain, openRecordingDb, dropSchema } from './list.bench.js';

export interface ScaleBenchOptions {
  /** Image counts, smallest first (the baseline). */
  sizes: number[];
  /** Shares per image (members rows = images x this). */
  sharesPerImage: number;
  databaseUrl: string; // '' = SQLite
  connections: number[];
  durationSeconds: number;
  warmupSeconds: number;
  iterations: number;
  log: (line: string) => void;
}

export interface ScaleCase {
  name: 'default' | 'owner' | 'receiver';
  path: string;
  query: ImageListQuery;
}

export interface ScaleSizeResult {
  images: number;
  shares: number;
  accounts: number;
  properties: number;
  tags: number;
  generateSeconds: number;
  /** What the measured account has: own images (default region, listed) and shares by status. */
  account: { id: string; ownListed: number; shares: Record<string, number> };
  inProcess: Record<string, ReturnType<typeof summarize> & { rows: number }>;
  /** Same run, alternating calls: the page as 5 round trips vs 1, and (PostgreSQL) unnamed vs prepared. */
  ab: Array<{ name: string; before: ReturnType<typeof summarize>; after: ReturnType<typeof summarize> }>;
  plans: Record<string, string[]>;
  /** SQLite: the page's statements run directly, median ms each, summed per case. */
  sqliteStatementsMs: Record<string, number>;
  /**
   * The expiring-soon scan's statement (NotificationService.scanExpiring: every node, each minute), in ms.
   * Its cost must not grow with the shares (migration 0090); the generated shares have no end time.
   */
  expiringScanMs: ReturnType<typeof summarize>;
  load: LoadResult[];
}

export interface ScaleBenchResult {
  database: DialectName;
  sharesPerImage: number;
  sizes: ScaleSizeResult[];
}

const REGIONS = ['ap-guangzhou', 'ap-shanghai'];
const PAGE = 20;
const IMAGES_PER_ACCOUNT = 200;
const FIRST_ACCOUNT = 7_000_000_000;
const PASSWORD = 'bench-scale-password';

const query = (over: Partial<ImageListQuery>): ImageListQuery => ({
  limit: PAGE,
  sort: [{ key: 'created_at', dir: 'desc' }],
  memberStatus: 'accepted',
  filters: {},
  ...over,
});

const CASES: ScaleCase[] = [
  { name: 'default', path: `/v2/images?limit=${PAGE}`, query: query({}) },
  {
    name: 'owner',
    path: `/v2/images?limit=${PAGE}&visibility=private`,
    query: query({ visibility: 'private' }),
  },
  {
    name: 'receiver',
    path: `/v2/images?limit=${PAGE}&visibility=shared&member_status=all`,
    query: query({ visibility: 'shared', memberStatus: 'all' }),
  },
];

/**
 * The generated rows, one SELECT per table over the numbers 0..n-1 (`i`), the same values on both databases:
 * image i is owned by account i mod A, created at BASE + i * STEP ms (so the newest images have the highest
 * i), in the second region one time in ten; visibility (a hash of i): 80 % shared, 10 % private, 5 %
 * public, 5 % community; status (another hash): 95 % active, 2 % queued, 1 % killed, 2 % deleted.
 * Image i has K members, accounts owner + 1 + ((k + K * (i div A)) mod (A - 1)), never its owner;
 * status by (i * 31 + k * 17) mod 10: 60 % accepted, 30 % pending, 10 % rejected.
 */
function generatorSql(dialect: DialectName, n: number, accounts: number, k: number): string[] {
  const pgd = dialect === 'postgres';
  const numbers = (count: number) =>
    pgd
      ? `from generate_series(0, ${count - 1}) as s(i)`
      : `from (with recursive s(i) as (select 0 union all select i + 1 from s where i < ${count - 1}) select i from s) as s`;
  const text = (e: string) => (pgd ? `(${e})::text` : `cast(${e} as text)`);
  const hexId = pgd
    ? `'img-' || lpad(to_hex((i::bigint * 2654435761) % 4294967296), 8, '0')`
    : `'img-' || printf('%08x', (i * 2654435761) % 4294967296)`;
  const step = Math.floor((365 * 86400_000) / n);
  const base = Date.parse('2025-06-01T00:00:00.000Z');
  const iso = (ms: string) =>
    pgd
      ? `to_char(timestamp '1970-01-01' + (${ms}) * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      : `strftime('%Y-%m-%dT%H:%M:%fZ', (${ms}) / 1000.0, 'unixepoch')`;
  const createdMs = `${base}::bigint + i::bigint * ${step}`.replace(/::bigint/g, pgd ? '::bigint' : '');
  const hex32 = pgd ? `md5(i::text)` : `lower(hex(randomblob(16)))`;
  const hex128 = pgd ? `repeat(md5(i::text), 4)` : `lower(hex(randomblob(64)))`;
  // A percentile of i from the high bits of a multiplicative hash (one multiplier per attribute), so that
  // the attributes of one account's images (every A-th i) are as mixed as everyone's.
  const pct = (multiplier: number) =>
    `(((${pgd ? 'i::bigint' : 'i'} * ${multiplier}) % 4294967296) / 65536 % 100)`;
  const v = pct(2654435761);
  const st = pct(2246822519);
  const visibility = `case when ${v} < 80 then 'shared' when ${v} < 90 then 'private' when ${v} < 95 then 'public' else 'community' end`;
  const status = `case when ${st} < 95 then 'active' when ${st} < 97 then 'queued' when ${st} < 98 then 'killed' else 'deleted' end`;
  const region = `case when ${pct(3266489917)} < 10 then '${REGIONS[1]}' else '${REGIONS[0]}' end`;
  const owner = text(`${FIRST_ACCOUNT} + i % ${accounts}`);
  const kNumbers = pgd
    ? `generate_series(0, ${k - 1}) as m(k)`
    : `(with recursive m(k) as (select 0 union all select k + 1 from m where k < ${k - 1}) select k from m) as m`;
  const member = text(
    `${FIRST_ACCOUNT} + (i % ${accounts} + 1 + (k + ${k} * (i / ${accounts})) % ${accounts - 1}) % ${accounts}`,
  );
  const memberStatus = `case when (i * 31 + k * 17) % 10 < 6 then 'accepted' when (i * 31 + k * 17) % 10 < 9 then 'pending' else 'rejected' end`;
  return [
    `insert into images (id, owner_id, region, name, description, status, visibility, protected, os_hidden, size,
       virtual_size, checksum, os_hash_algo, os_hash_value, disk_format, container_format, min_disk, min_ram,
       blob_key, source_image_id, created_at, updated_at, deleted_at)
     select ${hexId}, ${owner}, ${region}, 'scale-' || ${text('i')}, null, ${status}, ${visibility}, 0, 0,
       1 + (${pgd ? 'i::bigint' : 'i'} * 7919) % 21474836480, null, ${hex32}, 'sha512', ${hex128},
       case when i % 3 = 0 then 'qcow2' else 'raw' end, 'bare', 0, 0, null, null,
       ${iso(createdMs)}, ${iso(`${createdMs} + 60000`)},
       case when ${status} = 'deleted' then ${iso(`${createdMs} + 3600000`)} else null end
     ${numbers(n)}`,
    `insert into image_properties (image_id, key, value)
     select ${hexId}, 'os_distro', case when i % 4 = 0 then 'ubuntu' when i % 4 = 1 then 'debian' when i % 4 = 2 then 'centos' else 'rocky' end ${numbers(n)}
     union all select ${hexId}, 'architecture', 'x86_64' ${numbers(n)}`,
    `insert into image_tags (image_id, tag) select ${hexId}, case when i % 2 = 0 then 'prod' else 'golden' end ${numbers(n)} where i % 3 = 0`,
    `insert into image_members (image_id, member_id, status, expires_at, created_at, updated_at)
     select ${hexId}, ${member}, ${memberStatus}, null, ${iso(`${createdMs} + 120000`)}, ${iso(`${createdMs} + 120000`)}
     ${numbers(n)} cross join ${kNumbers}`,
  ];
}

async function generate(
  dialect: DialectName,
  url: string,
  schema: string | undefined,
  n: number,
  k: number,
): Promise<{ accounts: number; seconds: number }> {
  const t0 = performance.now();
  const accounts = Math.max(k + 2, Math.ceil(n / IMAGES_PER_ACCOUNT));
  const hash = await hashPassword(PASSWORD);
  const at = '2025-01-01T00:00:00.000Z';
  const accountSql = (numbers: string) =>
    `insert into accounts (id, name, password_hash, is_admin, created_at, updated_at, disabled_at)
     select ${dialect === 'postgres' ? `(${FIRST_ACCOUNT} + i)::text` : `cast(${FIRST_ACCOUNT} + i as text)`},
       'scale-' || ${dialect === 'postgres' ? 'i::text' : 'cast(i as text)'}, '${hash}', 0, '${at}', '${at}', null ${numbers}`;
  const statements = generatorSql(dialect, n, accounts, k);
  if (dialect === 'postgres') {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      // Foreign-key triggers off for the load (the generator's references hold by construction).
      await client.query('set session_replication_role = replica');
      await client.query('begin');
      await client.query(accountSql(`from generate_series(0, ${accounts - 1}) as s(i)`));
      for (const statement of statements) await client.query(statement);
      await client.query('commit');
      await client.query('analyze');
    } finally {
      await client.end();
    }
  } else {
    const db = new SQLite(url);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = OFF');
      db.pragma('cache_size = -1000000');
      db.transaction(() => {
        db.prepare(
          accountSql(
            `from (with recursive s(i) as (select 0 union all select i + 1 from s where i < ${accounts - 1}) select i from s) as s`,
          ),
        ).run();
        for (const statement of statements) db.prepare(statement).run();
      })();
      // No ANALYZE: the service never runs it, so the plans measured are the ones it gets.
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  }
  return { accounts, seconds: Math.round(performance.now() - t0) / 1000 };
}

export async function runScaleBench(o: ScaleBenchOptions): Promise<ScaleBenchResult> {
  const dialect: DialectName = o.databaseUrl ? 'postgres' : 'sqlite';
  const result: ScaleBenchResult = { database: dialect, sharesPerImage: o.sharesPerImage, sizes: [] };
  for (const n of o.sizes) {
    const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-bench-scale-'));
    const schema = o.databaseUrl ? `bench_${randomBytes(5).toString('hex')}` : undefined;
    const url = o.databaseUrl || join(dataDir, 'imageshare.sqlite');
    try {
      result.sizes.push(await runOneSize(o, dialect, n, dataDir, url, schema));
    } finally {
      if (schema) await dropSchema(o.databaseUrl, schema);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return result;
}

function interleaved(iterations: number) {
  return async (before: () => Promise<unknown>, after: () => Promise<unknown>) => {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < iterations; i++) {
      for (const [run, into] of (i % 2
        ? [
            [after, b],
            [before, a],
          ]
        : [
            [before, a],
            [after, b],
          ]) as Array<[() => Promise<unknown>, number[]]>) {
        const t0 = performance.now();
        await run();
        into.push(performance.now() - t0);
      }
    }
    return { before: summarize(a), after: summarize(b) };
  };
}

async function runOneSize(
  o: ScaleBenchOptions,
  dialect: DialectName,
  n: number,
  dataDir: string,
  url: string,
  schema: string | undefined,
): Promise<ScaleSizeResult> {
  const label = `scale ${dialect} ${n.toLocaleString('en')}`;
  {
    const db = openDatabase({ url, ...(schema ? { schema } : {}) });
    await migrateToLatest(db, schema);
    await db.close();
  }
  o.log(`[${label}] generating ${n} images, ${n * o.sharesPerImage} shares`);
  const gen = await generate(dialect, url, schema, n, o.sharesPerImage);
  o.log(`[${label}] generated in ${gen.seconds} s (${gen.accounts} accounts)`);

  const open = (preparedStatements: boolean): Db =>
    openDatabase({ url, ...(schema ? { schema } : {}), preparedStatements });
  const db = open(true);
  const config = loadConfig({ env: {}, file: '', overrides: { dataDir, regions: REGIONS.join(',') } });
  const serviceOn = (on: Db) =>
    new ImageService(
      new KyselyImageUnitOfWork(on),
      new LocalBlobStore(join(dataDir, 'images')),
      config,
      systemClock,
    );
  const service = serviceOn(db);
  // The measured account: the first (its images are the newest of every A-th; it holds ~K*200 shares).
  const accountId = String(FIRST_ACCOUNT);
  const ctx: RequestContext = {
    caller: { accountId, isAdmin: false },
    region: REGIONS[0] as string,
    surface: 'openstack',
  };
  const counts = await sql<{ status: string; n: number | string }>`
    select status, count(*) as n from image_members where member_id = ${accountId} group by status`.execute(
    db.kysely,
  );
  const own = await sql<{ n: number | string }>`
    select count(*) as n from images where owner_id = ${accountId} and region = ${REGIONS[0]}
      and deleted_at is null and status != 'killed'`.execute(db.kysely);
  const out: ScaleSizeResult = {
    images: n,
    shares: n * o.sharesPerImage,
    accounts: gen.accounts,
    properties: 2 * n,
    tags: Math.ceil(n / 3),
    generateSeconds: gen.seconds,
    account: {
      id: accountId,
      ownListed: Number(own.rows[0]?.n ?? 0),
      shares: Object.fromEntries(counts.rows.map((r) => [r.status, Number(r.n)])),
    },
    inProcess: {},
    ab: [],
    plans: {},
    sqliteStatementsMs: {},
    expiringScanMs: summarize([0]),
    load: [],
  };

  // Plans of the one statement per case.
  const rec = openRecordingDb(url, schema);
  const recService = serviceOn(rec.db);
  const sqliteFile = dialect === 'sqlite' ? new SQLite(url, { readonly: true }) : undefined;
  for (const c of CASES) {
    const queries = await rec.record(() => recService.list(ctx, c.query));
    const plan: string[] = [];
    for (const q of queries) plan.push(`-- ${q.sql}`, ...(await explain(rec.db, q)));
    out.plans[c.name] = plan;
    if (sqliteFile) {
      // SQLite's own time for the page's statements (median of 300 runs each, summed): what the table size
      // can change, without Kysely and with less of the machine's load in it than a whole call.
      let total = 0;
      for (const q of queries) {
        const statement = sqliteFile.prepare(q.sql);
        const times: number[] = [];
        for (let i = 0; i < 300; i++) {
          const t0 = performance.now();
          statement.all(...(q.parameters as unknown[]));
          times.push(performance.now() - t0);
        }
        total += summarize(times).p50;
      }
      out.sqliteStatementsMs[c.name] = Math.round(total * 1000) / 1000;
    }
  }
  sqliteFile?.close();
  await rec.db.close();

  for (const c of CASES) {
    let rows = 0;
    for (let i = 0; i < 20; i++) rows = (await service.list(ctx, c.query)).images.length; // warm-up
    const times: number[] = [];
    for (let i = 0; i < o.iterations; i++) {
      const t0 = performance.now();
      await service.list(ctx, c.query);
      times.push(performance.now() - t0);
    }
    out.inProcess[c.name] = { ...summarize(times), rows };
    o.log(
      `[${label}] in-process ${c.name}: ${rows} rows, p50 ${out.inProcess[c.name]?.p50} ms, p99 ${out.inProcess[c.name]?.p99} ms`,
    );
  }

  const notifications = new NotificationRepository(db.kysely, db.dialect);
  const scanTimes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const from = new Date().toISOString();
    const t0 = performance.now();
    await notifications.sharesEndingBy(from, new Date(Date.now() + 86_400_000).toISOString(), 500);
    scanTimes.push(performance.now() - t0);
  }
  out.expiringScanMs = summarize(scanTimes);
  o.log(`[${label}] expiring-soon scan: p50 ${out.expiringScanMs.p50} ms, max ${out.expiringScanMs.max} ms`);

  // A/B in the same run, alternating calls.
  const ab = interleaved(o.iterations);
  const repo = new ImageRepository(db.kysely, db.dialect);
  const scope = {
    caller: ctx.caller,
    region: ctx.region,
    mode: {
      relations: relationsOfKinds(['own', 'public', 'shared', 'community']),
      memberStatuses: [...memberStatuses],
    },
    now: new Date().toISOString(),
  };
  const page = { sort: [{ key: 'created_at' as const, dir: 'desc' as const }], limit: PAGE };
  const fivePages = async () => repo.hydrate((await repo.listPage(scope, {}, page)).map((l) => l.row));
  const onePage = () => repo.listImagesInOneStatement(scope, {}, page);
  {
    // The same answer both ways, or the comparison means nothing.
    const a = (await fivePages()).map((i) => JSON.stringify(i));
    const b = (await onePage()).listed.map((l) => JSON.stringify(l.image));
    if (JSON.stringify(a) !== JSON.stringify(b))
      throw new Error('listImages and listPage + hydrate disagree');
  }
  out.ab.push({
    name: 'list page: 5 statements (listPage + hydrate) -> 1 (listImagesInOneStatement)',
    ...(await ab(fivePages, onePage)),
  });
  if (dialect === 'postgres') {
    const plain = open(false);
    const defaultCase = CASES[0] as ScaleCase;
    const plainService = serviceOn(plain);
    out.ab.push({
      name: 'ImageService.list default: unnamed -> prepared statements',
      ...(await ab(
        () => plainService.list(ctx, defaultCase.query),
        () => service.list(ctx, defaultCase.query),
      )),
    });
    await plain.close();
  }
  for (const r of out.ab)
    o.log(
      `[${label}] ${r.name}: p50 ${r.before.p50} -> ${r.after.p50} ms, p99 ${r.before.p99} -> ${r.after.p99} ms`,
    );
  await db.close();

  if (o.connections.length) {
    const server = await startServerProcess({
      dataDir,
      databaseUrl: schema ? url : undefined,
      databaseSchema: schema,
    });
    try {
      const token = await login(server.url, { id: accountId, password: PASSWORD });
      for (const c of CASES) {
        const body = (await callOk(server.url, 'GET', c.path, { token })).body as { images: unknown[] };
        if (body.images.length !== out.inProcess[c.name]?.rows)
          throw new Error(`${c.name}: HTTP and in-process disagree`);
        for (const connections of o.connections) {
          const r = await runLoad({
            name: c.name,
            url: `${server.url}${c.path}`,
            token,
            connections,
            durationSeconds: o.durationSeconds,
            warmupSeconds: o.warmupSeconds,
            serverPid: server.pid,
          });
          out.load.push(r);
          o.log(
            `[${label}] HTTP ${c.name} c=${connections}: ${r.requestsPerSecond} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, errors ${r.errors}`,
          );
        }
      }
    } finally {
      await server.stop();
    }
  }
  return out;
}
