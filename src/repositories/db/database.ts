// Opens the one database (SQLite by default, PostgreSQL when a postgres:// URL is configured) and brings
// its schema up to date. Everything else reaches the database through the repositories in this folder.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  type SqliteDatabase,
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations/index.js';

// PostgreSQL bigint (OID 20) arrives as a string by default; sizes stay exact as numbers up to 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

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
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function openDatabase(options: OpenDatabaseOptions): Db {
  if (isPostgresUrl(options.url)) {
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('invalid schema name');
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
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
  // WAL lets readers proceed during a write; the busy timeout makes a second process wait instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const kysely = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }),
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
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare: (text: string) => {
      const kept = statements.get(text);
      if (kept && !kept.busy) return kept;
      const statement = sqlite.prepare(text);
      if (!kept) {
        // Oldest first out: a Map iterates in insertion order.
        if (statements.size >= STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value as string);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

/**
 * SQLite transactions that take the write lock when they begin (BEGIN IMMEDIATE). With Kysely's plain BEGIN,
 * two processes on one file could both read (say, a member count) and then fail with SQLITE_BUSY when both
 * try to write; with IMMEDIATE the second waits (busy_timeout) and then reads what the first wrote.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

/** Applies every pending migration; a database already up to date is left untouched. */
export async function migrateToLatest(db: Db, schema?: string): Promise<string[]> {
  if (db.dialect === 'postgres' && schema) {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db.kysely);
  }
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
    ...(db.dialect === 'postgres' && schema ? { migrationTableSchema: schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Kysely's PostgreSQL introspection checks privileges on every schema of the database; when some other
    // schema is dropped meanwhile (another service's, a finished test's) it fails with invalid_schema_name
    // (3F000) although nothing is wrong with ours. That race is transient: try again.
    const code = (error as { code?: unknown }).code;
    if (db.dialect !== 'postgres' || code !== '3F000' || attempt >= 5) {
      throw error instanceof Error ? error : new Error('migration failed', { cause: error });
    }
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
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
  const client = new pg.Client({ connectionString: url });
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
