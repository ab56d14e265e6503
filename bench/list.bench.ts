// Listing as a receiver: a database seeded with N images across many owners, 1,000 of them shared with one
// receiver (accepted / pending / rejected), then, over real HTTP with the receiver's token:
//   default   GET /v2/images?limit=25                                        (own + public + accepted shares)
//   shared    GET /v2/images?visibility=shared&member_status=all&limit=25
//   page30    the same with the marker of page 29, walked over HTTP
// at 10,000 and 100,000 images, so the two sizes show whether a page's cost grows with the table. Before the
// server starts, the same three lists run in-process through ImageService (no HTTP) and the SQL they issue is
// shown with EXPLAIN QUERY PLAN (SQLite) / EXPLAIN ANALYZE (PostgreSQL).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql, type LogEvent } from 'kysely';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { migrateToLatest, type Db, type DialectName } from '../src/repositories/db/database.js';
import type { Database } from '../src/repositories/db/schema.js';
import { LocalBlobStore } from '../src/repositories/blob/local-blob-store.js';
import { systemClock } from '../src/services/clock.js';
import { ImageService, type ImageListQuery } from '../src/services/image.service.js';
import { KyselyImageUnitOfWork } from '../src/repositories/db/transaction.js';
import type { RequestContext } from '../src/services/context.js';
import { call, callOk, login } from './lib/http.js';
import { runLoad, summarize, type LoadResult } from './lib/load.js';
import { seedListing, type SeedResult } from './lib/seed.js';
import { startServerProcess, statusKb } from './lib/server-process.js';

export interface ListBenchOptions {
  sizes: number[];
  shared: number;
  databaseUrl: string; // '' = SQLite
  connections: number[];
  durationSeconds: number;
  warmupSeconds: number;
  inProcessIterations: number;
  log: (line: string) => void;
}

export interface ListCase {
  name: 'default' | 'shared' | 'page30';
  path: string;
}

export interface SizeResult {
  images: number;
  seed: SeedResult;
  /** Whether the Glance list route answered; without it only the in-process figures exist. */
  http: boolean;
  httpNote?: string;
  checks: Record<string, unknown>;
  inProcess: Record<string, ReturnType<typeof summarize> & { rows: number }>;
  plans: Record<string, string[]>;
  load: LoadResult[];
  serverRssKb: { afterStart: number; afterLoad: number; hwm: number };
}

export interface ListBenchResult {
  database: DialectName;
  databaseNote: string;
  sizes: SizeResult[];
}

const REGIONS = ['ap-guangzhou', 'ap-shanghai'];
const PAGE = 25;
const DEEP_PAGE = 30;

const baseQuery = (over: Partial<ImageListQuery>): ImageListQuery => ({
  limit: PAGE,
  sort: [{ key: 'created_at', dir: 'desc' }],
  memberStatus: 'accepted',
  filters: {},
  ...over,
});

/** A Db over a Kysely whose SQL can be recorded (for EXPLAIN), on a fresh SQLite file or PostgreSQL schema. */
export function openRecordingDb(url: string, schema: string | undefined) {
  const recorded: LogEvent['query'][] = [];
  let recording = false;
  const log = (event: LogEvent) => {
    if (recording && event.level === 'query') recorded.push(event.query);
  };
  let kysely: Kysely<Database>;
  let dialect: DialectName;
  if (schema !== undefined) {
    const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
    dialect = 'postgres';
  } else {
    const sqlite = new SQLite(url);
    // The same pragmas as src/repositories/db/database.ts.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log });
    dialect = 'sqlite';
  }
  const db: Db = { kysely, dialect, close: () => kysely.destroy() };
  return {
    db,
    async record<T>(work: () => Promise<T>) {
      recorded.length = 0;
      recording = true;
      try {
        await work();
      } finally {
        recording = false;
      }
      return [...recorded];
    },
  };
}

export async function explain(db: Db, query: LogEvent['query']): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const res = await db.kysely.executeQuery<{ id: number; parent: number; detail: string }>(
      CompiledQuery.raw(`EXPLAIN QUERY PLAN ${query.sql}`, [...query.parameters]),
    );
    const depth = new Map<number, number>([[0, -1]]);
    return res.rows.map((r) => {
      const d = (depth.get(r.parent) ?? -1) + 1;
      depth.set(r.id, d);
      return `${'  '.repeat(d)}${r.detail}`;
    });
  }
  const res = await db.kysely.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${query.sql}`, [...query.parameters]),
  );
  return res.rows.map((r) => r['QUERY PLAN']);
}

export async function runListBench(o: ListBenchOptions): Promise<ListBenchResult> {
  const isPg = o.databaseUrl !== '';
  const result: ListBenchResult = {
    database: isPg ? 'postgres' : 'sqlite',
    databaseNote: isPg
      ? 'PostgreSQL, fresh schema per size; ANALYZE after seeding (what autovacuum does shortly after a bulk load)'
      : 'SQLite file (WAL), as the service opens it; no ANALYZE (the service never runs it)',
    sizes: [],
  };
  for (const size of o.sizes) {
    const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-bench-list-'));
    const schema = isPg ? `bench_${randomBytes(5).toString('hex')}` : undefined;
    const url = isPg ? o.databaseUrl : join(dataDir, 'imageshare.sqlite');
    try {
      result.sizes.push(await runOneSize(o, size, dataDir, url, schema));
    } finally {
      if (schema) await dropSchema(o.databaseUrl, schema);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return result;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(kysely);
  } finally {
    await kysely.destroy();
  }
}

async function runOneSize(
  o: ListBenchOptions,
  size: number,
  dataDir: string,
  url: string,
  schema: string | undefined,
): Promise<SizeResult> {
  const label = `${schema ? 'postgres' : 'sqlite'} ${size.toLocaleString('en')}`;
  // ---- seed
  const rec = openRecordingDb(url, schema);
  await migrateToLatest(rec.db, schema);
  o.log(`[list ${label}] seeding ${size} images, ${o.shared} shared with the receiver`);
  const seed = await seedListing(rec.db, {
    images: size,
    shared: o.shared,
    imagesPerOwner: 100,
    regions: REGIONS,
  });
  if (schema) await sql`analyze`.execute(rec.db.kysely);
  o.log(
    `[list ${label}] seeded in ${seed.seconds}s: ${seed.owners} owners, ${seed.members} members ` +
      `(receiver: ${JSON.stringify(seed.receiverMembers)})`,
  );

  // ---- in-process: the service's own queries, their plans and timings (no HTTP)
  const config = loadConfig({ env: {}, file: '', overrides: { dataDir, regions: REGIONS.join(',') } });
  const service = new ImageService(
    new KyselyImageUnitOfWork(rec.db),
    new LocalBlobStore(join(dataDir, 'images')),
    config,
    systemClock,
  );
  const ctx: RequestContext = {
    caller: { accountId: seed.receiver.id, isAdmin: false },
    region: REGIONS[0] as string,
    surface: 'openstack',
  };
  const sharedQuery = baseQuery({ visibility: 'shared', memberStatus: 'all' });
  // Walk to page 30 (or the last full page of a smaller share set) in-process to find its marker; the HTTP
  // walk below must agree.
  const deepPage = Math.min(DEEP_PAGE, Math.floor(o.shared / PAGE));
  let marker: string | undefined;
  for (let p = 1; p < deepPage; p++) {
    const page = await service.list(ctx, { ...sharedQuery, marker });
    marker = page.images[page.images.length - 1]?.id;
  }
  const cases: Record<string, ImageListQuery> = {
    default: baseQuery({}),
    shared: sharedQuery,
    page30: { ...sharedQuery, marker },
  };
  const inProcess: SizeResult['inProcess'] = {};
  const plans: SizeResult['plans'] = {};
  for (const [name, query] of Object.entries(cases)) {
    let rows = 0;
    const queries = await rec.record(async () => {
      rows = (await service.list(ctx, query)).images.length;
    });
    plans[name] = [];
    for (const q of queries.filter((q) => /"images"/.test(q.sql) && /order by/.test(q.sql))) {
      plans[name].push(`-- ${q.sql}`, ...(await explain(rec.db, q)));
    }
    const times: number[] = [];
    for (let i = 0; i < o.inProcessIterations; i++) {
      const t0 = performance.now();
      await service.list(ctx, query);
      times.push(performance.now() - t0);
    }
    inProcess[name] = { ...summarize(times), rows };
    o.log(
      `[list ${label}] in-process ${name}: ${rows} rows, p50 ${inProcess[name].p50} ms, p99 ${inProcess[name].p99} ms`,
    );
  }
  await rec.db.close();

  // ---- over HTTP, against a server process
  const server = await startServerProcess({
    dataDir,
    databaseUrl: schema ? url : undefined,
    databaseSchema: schema,
  });
  const out: SizeResult = {
    images: size,
    seed,
    http: false,
    checks: {},
    inProcess,
    plans,
    load: [],
    serverRssKb: { afterStart: statusKb(server.pid, 'VmRSS'), afterLoad: 0, hwm: 0 },
  };
  try {
    const token = await login(server.url, seed.receiver);
    const probe = await call(server.url, 'GET', `/v2/images?limit=${PAGE}`, { token });
    if (probe.status !== 200) {
      out.httpNote = `GET /v2/images answered ${probe.status}: the Glance list route is not available yet`;
      o.log(`[list ${label}] ${out.httpNote}; HTTP figures skipped`);
      return out;
    }
    out.http = true;
    // Walk the shared list over HTTP by its `next` links: every share once, in order, and the page-30 marker.
    const seen = new Set<string>();
    let next: string | undefined = `/v2/images?visibility=shared&member_status=all&limit=${PAGE}`;
    let pages = 0;
    let httpMarker: string | undefined;
    while (next && pages < 100) {
      const res = await callOk(server.url, 'GET', next, { token });
      const body = res.body as { images: Array<{ id: string }>; next?: string };
      pages += 1;
      for (const img of body.images) seen.add(img.id);
      if (pages === deepPage - 1) httpMarker = body.images[body.images.length - 1]?.id;
      next = body.next;
    }
    const defaultPage = (await callOk(server.url, 'GET', `/v2/images?limit=${PAGE}`, { token })).body as {
      images: unknown[];
    };
    out.checks = {
      sharedListedOverHttp: seen.size,
      sharedExpected: o.shared,
      sharedPages: pages,
      deepPage,
      deepPageMarkerMatchesInProcess: httpMarker === marker,
      defaultPageSize: defaultPage.images.length,
      visibleInDefaultList: seed.visibleDefault,
    };
    o.log(`[list ${label}] checks ${JSON.stringify(out.checks)}`);
    if (seen.size !== o.shared)
      throw new Error(`shared list walked ${seen.size} images, expected ${o.shared}`);

    const paths: ListCase[] = [
      { name: 'default', path: `/v2/images?limit=${PAGE}` },
      { name: 'shared', path: `/v2/images?visibility=shared&member_status=all&limit=${PAGE}` },
      {
        name: 'page30',
        path: `/v2/images?visibility=shared&member_status=all&limit=${PAGE}&marker=${httpMarker ?? marker}`,
      },
    ];
    for (const c of paths) {
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
          `[list ${label}] ${c.name.padEnd(8)} c=${String(connections).padEnd(3)} ${r.requestsPerSecond} req/s  ` +
            `p50 ${r.latencyMs.p50} ms  p95 ${r.latencyMs.p95} ms  p99 ${r.latencyMs.p99} ms  errors ${r.errors}  ` +
            `server CPU ${r.serverCpuUsPerRequest} us/req`,
        );
      }
    }
    return out;
  } finally {
    out.serverRssKb.afterLoad = statusKb(server.pid, 'VmRSS');
    out.serverRssKb.hwm = statusKb(server.pid, 'VmHWM');
    await server.stop();
  }
}
