// SQLite reader statements of 8 columns or more read their rows as arrays and build the objects with one
// fixed-shape function per column list (database.ts rowsThroughArrays). The rows must be exactly what
// better-sqlite3 gives: the same keys in the same order, a repeated name's last value, streams too, and after
// another connection (another process) changes the table under a kept statement, the new columns by name.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase, type Db } from '../../src/repositories/db/database.js';

const columns = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];

describe('SQLite rows through arrays', () => {
  let dir: string;
  let db: Db;
  let other: SQLite.Database;
  let plain: SQLite.Database;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imageshare-array-rows-'));
    const file = join(dir, 'rows.sqlite');
    db = openDatabase({ url: file });
    await sql.raw(`create table wide (${columns.map((c) => `${c} text`).join(', ')})`).execute(db.kysely);
    await sql
      .raw(
        `insert into wide values (${columns.map((c) => `'${c}1'`).join(', ')}), (${columns.map((c) => `'${c}2'`).join(', ')})`,
      )
      .execute(db.kysely);
    other = new SQLite(file);
    plain = new SQLite(file, { readonly: true });
  });
  after(async () => {
    other.close();
    plain.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async (text: string) => (await sql.raw(text).execute(db.kysely)).rows;
  const expected = (text: string) => plain.prepare(text).all();

  it('gives the objects better-sqlite3 gives, repeated names included', async () => {
    for (const text of [
      'select * from wide order by a',
      'select *, i as a, 7 as "__x", null as "z z" from wide order by a desc',
      'select a, b from wide order by a',
    ]) {
      const rows = await read(text);
      assert.deepEqual(rows, expected(text), text);
      assert.deepEqual(
        rows.map((r) => Object.keys(r as object)),
        expected(text).map((r) => Object.keys(r as object)),
      );
      assert.deepEqual(await read(text), rows, 'the kept statement, a second time');
    }
  });

  it('streams rows as objects', async () => {
    const streamed: unknown[] = [];
    for await (const row of db.kysely
      .selectFrom('wide' as never)
      .selectAll()
      .stream())
      streamed.push(row);
    assert.deepEqual(streamed, expected('select * from wide'));
  });

  it('follows a schema change made by another connection under a kept statement', async () => {
    const text = 'select * from wide order by a';
    assert.deepEqual(await read(text), expected(text));
    // The table rebuilt with its columns in another order and one more, as a migration could do it.
    const reordered = ['x', ...[...columns].reverse()];
    other.exec(`
      create table wide2 (${reordered.map((c) => `${c} text`).join(', ')});
      insert into wide2 (${columns.join(', ')}, x) select ${columns.join(', ')}, 'new' from wide;
      drop table wide;
      alter table wide2 rename to wide;
    `);
    const rows = (await read(text)) as Array<Record<string, unknown>>;
    assert.deepEqual(rows, expected(text));
    assert.equal(rows[0]?.a, 'a1');
    assert.equal(rows[0]?.x, 'new');
    assert.deepEqual(Object.keys(rows[0] ?? {}), reordered);
  });
});
