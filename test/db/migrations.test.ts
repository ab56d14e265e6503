// Migrations: starting twice on the same database is a no-op, and SQLite and PostgreSQL end up with the same
// tables and columns (names and nullability).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/main.js';
import { migrateToLatest, type Db } from '../../src/repositories/db/database.js';
import { migrations } from '../../src/repositories/db/migrations/index.js';
import { databaseTargets, forEachDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestServer } from '../helpers/server.js';

type Columns = Record<string, string[]>;

async function columnsOf(t: TestDatabase): Promise<Columns> {
  const out: Columns = {};
  if (t.dialect === 'sqlite') {
    const tables = await sql<{ name: string }>`
      select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'
    `.execute(t.db.kysely);
    for (const { name } of tables.rows) {
      const cols = await sql<{ name: string; notnull: number; pk: number }>`
        select name, "notnull", pk from pragma_table_info(${name})
      `.execute(t.db.kysely);
      out[name] = cols.rows.map((c) => `${c.name}${c.notnull || c.pk ? ' not null' : ''}`).sort();
    }
  } else {
    const cols = await sql<{ table_name: string; column_name: string; is_nullable: string }>`
      select table_name, column_name, is_nullable from information_schema.columns
      where table_schema = ${t.schema!} and table_name not like 'kysely_%'
    `.execute(t.db.kysely);
    for (const c of cols.rows) {
      (out[c.table_name] ??= []).push(`${c.column_name}${c.is_nullable === 'NO' ? ' not null' : ''}`);
    }
    for (const name of Object.keys(out)) out[name]!.sort();
  }
  return out;
}

async function appliedMigrations(db: Db): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
    db.kysely,
  );
  return rows.rows.map((r) => r.name);
}

forEachDatabase((target) => {
  describe(`migrations on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it('applies every migration once; running again changes nothing', async () => {
      const t = await target.create();
      try {
        assert.deepEqual(await appliedMigrations(t.db), Object.keys(migrations).sort());
        const before = await columnsOf(t);
        assert.deepEqual(await migrateToLatest(t.db, t.schema), []);
        assert.deepEqual(await columnsOf(t), before);
        assert.deepEqual(await appliedMigrations(t.db), Object.keys(migrations).sort());
      } finally {
        await t.close();
      }
    });

    it('starting a server twice on the same database is a no-op for the schema and the admin', async () => {
      const first = await startTestServer({ target });
      try {
        const { dataDir, url, schema } = first.database;
        const overrides: Record<string, string> = { dataDir, 'server.port': '0' };
        if (schema) Object.assign(overrides, { 'database.url': url, 'database.schema': schema });
        const lines: string[] = [];
        const config = loadConfig({ env: {}, file: '', overrides });
        const second = await startServer(config, {
          logger: pino({ level: 'silent' }),
          announce: (l) => lines.push(l),
        });
        try {
          assert.equal(second.admin, null);
          assert.deepEqual(lines, []);
          const accounts = await second.services.accounts.list();
          assert.deepEqual(
            accounts.map((a) => a.id),
            [first.admin.id],
          );
          assert.deepEqual(await appliedMigrations(second.db), Object.keys(migrations).sort());
        } finally {
          await second.close();
        }
      } finally {
        await first.close();
      }
    });
  });
});

const [sqliteTarget, postgresTarget] = databaseTargets;
describe(
  'migrations give both databases the same schema',
  { skip: postgresTarget!.skipReason ?? false },
  () => {
    it('has the same tables, columns and nullability on SQLite and PostgreSQL', async () => {
      const a = await sqliteTarget!.create();
      const b = await postgresTarget!.create();
      try {
        const [sqliteColumns, postgresColumns] = [await columnsOf(a), await columnsOf(b)];
        assert.ok(Object.keys(sqliteColumns).includes('accounts'));
        assert.deepEqual(sqliteColumns, postgresColumns);
      } finally {
        await a.close();
        await b.close();
      }
    });
  },
);
