// Opens the one database (SQLite by default, PostgreSQL when a postgres:// URL is configured) and brings
// its schema up to date. Everything else reaches the database through the repositories in this folder.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import type * as Pg from 'pg';
import {
  type SqliteDatabase,
  Kysely,
  Migrator,
  SqliteAdapter,
  SqliteDialect,
  sql,
  type DialectAdapter,
  type Driver,
  type SqliteStatement,
} from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations/index.js';
import { OwnSchemaPostgresDialect } from './pg-introspector.js';
import { preparingPool } from './pg-prepared.js';
import { WORKER_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.js';
import { NonBlockingSqliteDriver } from './sqlite-driver.js';

// The PostgreSQL driver is loaded on first use: a server on SQLite never loads it (it costs each process
// about 16 MiB of RSS; bench/RESULTS.md "Memory"). It is CommonJS, so a synchronous load works here.
const loadCommonJs = createRequire(import.meta.url);
let pgModule: typeof Pg | undefined;

function pgDriver(): typeof Pg {
  if (!pgModule) {
    pgModule = loadCommonJs('pg') as typeof Pg;
    // PostgreSQL bigint (OID 20) arrives as a string by default; sizes stay exact as numbers up to 2^53.
    pgModule.types.setTypeParser(20, (value: string) => Number(value));
  }
  return pgModule;
}

export type DialectName = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
  /** Connections open, idle, and requests waiting for one (for the metrics; absent: not reported). */
  poolStats?: () => { total: number; idle: number; waiting: number };
}

export interface OpenDatabaseOptions {
  /** postgres://... for PostgreSQL; otherwise the path of the SQLite file (":memory:" allowed). */
  url: string;
  /** PostgreSQL only: the schema to work in (created if missing). Tests use one schema per suite. */
  schema?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * PostgreSQL: longest a statement may run (default 30 s). PostgreSQL keeps executing a query whose client
   * has gone, so without a bound one pathological request would hold a backend and a core indefinitely.
   */
  statementTimeoutMs?: number;
  /** PostgreSQL: name (prepare once per connection) the data statements (pg-prepared.ts); default true. */
  preparedStatements?: boolean;
  /**
   * SQLite: another thread checkpoints the write-ahead log (a cluster's primary, sqlite-checkpointer.ts), so
   * this connection's own automatic checkpoint is only a safety net. Default false: SQLite's own, 1000 pages.
   */
  checkpointedElsewhere?: boolean;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function openDatabase(options: OpenDatabaseOptions): Db {
  if (isPostgresUrl(options.url)) {
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('invalid schema name');
    const pool = new (pgDriver().Pool)({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const kysely = new Kysely<Database>({
      dialect: new OwnSchemaPostgresDialect({
        pool: options.preparedStatements === false ? pool : preparingPool(pool),
      }),
    });
    return {
      kysely,
      dialect: 'postgres',
      close: () => kysely.destroy(),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    };
  }

  if (options.url !== ':memory:') mkdirSync(dirname(options.url), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(options.url);
  // Owner only; SQLite gives the -wal and -shm files it creates the database file's mode.
  if (options.url !== ':memory:') chmodSync(options.url, 0o600);
  // WAL lets readers proceed during a write. busy_timeout 0: SQLite's busy handler would sleep the whole
  // process while another holds the write lock; the driver waits by timer instead (sqlite-driver.ts).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 0');
  if (options.checkpointedElsewhere) sqlite.pragma(`wal_autocheckpoint = ${WORKER_AUTOCHECKPOINT_PAGES}`);
  sqlite.pragma('foreign_keys = ON');
  const kysely = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect(withStatementCache(sqlite)),
  });
  // One connection, shared by every request of the process.
  return {
    kysely,
    dialect: 'sqlite',
    close: () => kysely.destroy(),
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
  };
}

/** SQL texts whose prepared statements are kept; the service issues a few dozen distinct ones. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew, which parses and plans the SQL each time (5% of a list request's CPU in a
 * profile, bench/RESULTS.md). Queries are parameterised, so the same SQL text recurs: keep its prepared
 * statement. A statement still being iterated (a stream) is busy and cannot be shared: that case prepares a
 * fresh one. SQLite re-prepares a kept statement by itself after a schema change.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, KeptStatement>();
  const schemaVersion = sqlite.prepare('pragma schema_version').pluck();
  const readSchemaVersion = () => Number(schemaVersion.get());
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare: (text: string) => {
      const kept = statements.get(text);
      if (kept && !kept.statement.busy) return kept.facade;
      const statement = sqlite.prepare(text);
      const fresh = { statement, facade: rowsThroughArrays(statement, readSchemaVersion) };
      if (!kept) {
        // Oldest first out: a Map iterates in insertion order.
        if (statements.size >= STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value as string);
        statements.set(text, fresh);
      }
      return fresh.facade;
    },
  };
}

interface KeptStatement {
  statement: SQLite.Statement;
  facade: SqliteStatement;
}

/** Reader statements with at least this many columns build their row objects here (rowsThroughArrays). */
const ARRAY_ROWS_MIN_COLUMNS = 8;

/**
 * better-sqlite3 builds each row object property by property, which for a 32-column image row is about half
 * of what a 20-row list statement costs (bench/RESULTS.md, "Issue 10, third pass"). Wide reader statements
 * therefore read rows as arrays and turn them into objects with one function per column list, a literal of
 * fixed shape (the same keys, in the same order, the last of a repeated name winning, as better-sqlite3 does).
 *
 * The column list is what the statement had when it was prepared. Another process may change the schema
 * meanwhile (a migration: SQLite then re-prepares the statement, and `select *` can have other columns), so
 * after every read the schema version is compared with the one the column list was taken at; when it
 * changed, the names are read again and the rows of that read rebuilt from them. A read always finishes
 * before the version is checked, so a change cannot slip between the two unnoticed.
 */
function rowsThroughArrays(statement: SQLite.Statement, schemaVersion: () => number): SqliteStatement {
  if (!statement.reader) return statement;
  let version = schemaVersion();
  let columns = statement.columns().map((c) => c.name);
  if (columns.length < ARRAY_ROWS_MIN_COLUMNS || columns.includes('__proto__')) {
    return statement;
  }
  let toRow = rowBuilder(columns);
  statement.raw(true);
  const current = (): ((values: unknown[]) => unknown) => {
    const now = schemaVersion();
    if (now !== version) {
      version = now;
      columns = statement.columns().map((c) => c.name);
      toRow = rowBuilder(columns);
    }
    return toRow;
  };
  return {
    reader: true,
    all: (parameters) => {
      const rows = statement.all(parameters) as unknown[][];
      const build = current();
      const out = new Array<unknown>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = build(rows[i] as unknown[]);
      return out;
    },
    run: (parameters) => statement.run(parameters),
    iterate: function* (parameters) {
      for (const values of statement.iterate(parameters) as IterableIterator<unknown[]>) {
        yield current()(values);
      }
    },
  };
}

/**
 * `(values) => ({ "c0": values[0], ... })` for these column names. Generated code, because only a literal
 * gives V8 one fixed shape for every row; the names are the statement's own columns, quoted by
 * JSON.stringify (and `__proto__`, which a literal would take as the prototype, never comes here).
 */
function rowBuilder(columns: string[]): (values: unknown[]) => unknown {
  const fields = columns.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above: the one way to a fixed shape
  return new Function('v', `return { ${fields} };`) as (values: unknown[]) => unknown;
}

/** SQLite through NonBlockingSqliteDriver (BEGIN IMMEDIATE, waits for the write lock by timer). */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly database: SqliteDatabase) {
    super({ database });
  }

  override createDriver(): Driver {
    return new NonBlockingSqliteDriver(this.database);
  }

  override createAdapter(): DialectAdapter {
    return new LockingSqliteAdapter();
  }
}

/**
 * Processes migrating one SQLite file at once (three clusters starting on a fresh file) take turns: Kysely's
 * SQLite adapter takes no migration lock, as it assumes one process, so two could both find a migration
 * pending and both run it ("table console_sessions already exists", seen in test/ops/workers.test.ts). The
 * lock is SQLite's write lock, taken by BEGIN IMMEDIATE and held until every pending migration has run; the
 * next process then finds none pending.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  /** Whether this process holds the lock (a BEGIN IMMEDIATE that timed out holds nothing to commit). */
  private held = false;

  // Kysely's adapter interface types the handle as Kysely<any>.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override async acquireMigrationLock(db: Kysely<any>): Promise<void> {
    await sql`begin immediate`.execute(db);
    this.held = true;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override async releaseMigrationLock(db: Kysely<any>): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await sql`commit`.execute(db);
  }
}

/** Applies every pending migration; a database already up to date is left untouched. */
export async function migrateToLatest(db: Db, schema?: string): Promise<string[]> {
  if (db.dialect === 'postgres' && schema) await createSchemaIfMissing(db, schema);
  if (db.dialect !== 'postgres') return migrateWith(db, db.kysely, schema);
  // Nodes starting together on one schema take turns for the whole migration, not only for its steps:
  // Kysely takes its own lock only after it has looked for and created its migration tables, so nodes
  // starting at once on a fresh schema raced there (and, before pg-introspector.ts, read tables that another
  // node was altering: 42703, seen with six nodes starting at once). A session advisory lock per schema, held
  // on one connection that also runs the migrations (so a pool of one cannot deadlock).
  return db.kysely.connection().execute(async (connection) => {
    const key = `imageshare migrations ${schema ?? 'public'}`;
    await sql`select pg_advisory_lock(hashtext(${key}))`.execute(connection);
    try {
      return await migrateWith(db, connection, schema);
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(connection);
    }
  });
}

async function migrateWith(db: Db, kysely: Kysely<Database>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db: kysely,
    provider: { getMigrations: async () => migrations },
    ...(db.dialect === 'postgres' && schema ? { migrationTableSchema: schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // On SQLite, a process that waited WRITE_LOCK_WAIT_MS for another's migrations (a long one) tries again.
    // (PostgreSQL nodes wait for each other on the advisory lock above, and introspect their own schema
    // only, pg-introspector.ts: nothing there is transient.)
    const transient = db.dialect === 'sqlite' && (error as { code?: unknown }).code === 'SQLITE_BUSY';
    if (!transient || attempt >= 5) {
      throw error instanceof Error ? error : new Error('migration failed', { cause: error });
    }
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

/**
 * CREATE SCHEMA IF NOT EXISTS is not safe against itself: two nodes starting together on a fresh schema can
 * both find it missing, and the second's insert into pg_namespace then fails with unique_violation (23505)
 * instead of doing nothing (CI saw a node exit so). The schema exists either way, which is all that is asked.
 */
async function createSchemaIfMissing(db: Db, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db.kysely);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}

/** Checks the database answers (readiness). */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db.kysely);
}

/**
 * Whether the database already holds imageshare's schema: the SQLite file exists, or the PostgreSQL schema
 * (default "public") has the migration table. Lets the CLI refuse to create a new, empty database by mistake.
 */
export async function databaseExists(url: string, schema?: string): Promise<boolean> {
  if (!isPostgresUrl(url)) return url === ':memory:' || existsSync(url);
  const client = new (pgDriver().Client)({ connectionString: url });
  await client.connect();
  try {
    const found = await client.query(
      'select 1 from information_schema.tables where table_schema = $1 and table_name = $2',
      [schema || 'public', 'kysely_migration'],
    );
    return (found.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

/** The database as an operator reads it: the SQLite file's absolute path, or the PostgreSQL URL without its password. */
export function describeDatabase(url: string, schema?: string): string {
  if (!isPostgresUrl(url)) return `SQLite ${resolve(url)}`;
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return `PostgreSQL ${parsed.toString()}${schema ? ` schema ${schema}` : ''}`;
  } catch {
    return 'PostgreSQL (unparsable URL)';
  }
}
