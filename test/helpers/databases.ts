// Every database suite runs on SQLite and, when TEST_DATABASE_URL names a PostgreSQL server, on PostgreSQL
// too. Each call gets a fresh, migrated database: a temporary SQLite file, or a new PostgreSQL schema that is
// dropped again on close. With REQUIRE_POSTGRES=1 (set by .ci/run) a missing PostgreSQL fails instead of skipping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import {
  migrateToLatest,
  openDatabase,
  type Db,
  type DialectName,
} from '../../src/repositories/db/database.js';

export interface TestDatabase {
  db: Db;
  dialect: DialectName;
  /** Connection settings another process or server can use to open the same database. */
  url: string;
  schema?: string;
  close(): Promise<void>;
}

export interface DatabaseTarget {
  dialect: DialectName;
  /** Null when this target is unavailable; `skipReason` then says why. */
  skipReason: string | null;
  create(): Promise<TestDatabase>;
}

const postgresUrl = process.env.TEST_DATABASE_URL ?? '';

export function freshSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

async function createSqlite(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'imageshare-test-'));
  const url = join(dir, 'test.sqlite');
  const db = openDatabase({ url });
  await migrateToLatest(db);
  return {
    db,
    dialect: 'sqlite',
    url,
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createPostgres(): Promise<TestDatabase> {
  const schema = freshSchemaName();
  const db = openDatabase({ url: postgresUrl, schema, poolSize: 20 });
  await migrateToLatest(db, schema);
  return {
    db,
    dialect: 'postgres',
    url: postgresUrl,
    schema,
    close: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
      await db.close();
    },
  };
}

export const databaseTargets: DatabaseTarget[] = [
  { dialect: 'sqlite', skipReason: null, create: createSqlite },
  {
    dialect: 'postgres',
    skipReason: postgresUrl ? null : 'TEST_DATABASE_URL is not set: PostgreSQL suites skipped',
    create: createPostgres,
  },
];

if (!postgresUrl && process.env.REQUIRE_POSTGRES === '1') {
  throw new Error('REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set');
}

/**
 * Runs `body` once per available database. Usage:
 *   forEachDatabase((target) => describe(`images on ${target.dialect}`, { skip: target.skipReason ?? false }, ...))
 */
export function forEachDatabase(body: (target: DatabaseTarget) => void): void {
  for (const target of databaseTargets) body(target);
}
