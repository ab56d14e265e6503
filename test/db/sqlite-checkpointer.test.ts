// A cluster's SQLite workers leave the write-ahead log's checkpoints to the primary's thread
// (src/repositories/db/sqlite-checkpointer.ts): their own COMMITs no longer stop to copy and sync the log.
// Seen from the files: while only a worker's connection writes, the database file does not grow (its pages
// stay in the log, past SQLite's default 1000-page checkpoint); once the thread runs, they reach the file.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase } from '../../src/repositories/db/database.js';
import { startCheckpointer } from '../../src/repositories/db/sqlite-checkpointer.js';

/** Waits for a condition (polling); fails after a generous bound, which no assertion is about. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`never happened: ${what}`);
}

describe('SQLite checkpoints off the workers', () => {
  it("a worker's connection leaves the log to the checkpoint thread, which copies it into the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imageshare-checkpoint-'));
    const file = join(dir, 'test.sqlite');
    const db = openDatabase({ url: file, checkpointedElsewhere: true });
    let checkpointer: { stop(): Promise<void> } | undefined;
    try {
      await migrateToLatest(db);
      await sql`create table probe (body blob not null)`.execute(db.kysely);
      const before = statSync(file).size;
      // ~8 MiB in 64 KiB rows, one transaction each: about 2,000 pages, twice SQLite's default threshold.
      for (let i = 0; i < 128; i++) {
        await db.kysely
          .transaction()
          .execute((trx) => sql`insert into probe (body) values (randomblob(65536))`.execute(trx));
      }
      assert.equal(statSync(file).size, before, 'the worker did not checkpoint in its commits');
      assert.ok(statSync(`${file}-wal`).size > 8 * 1024 * 1024, 'the pages are in the log');

      checkpointer = startCheckpointer(file, (err) => assert.fail(String(err)));
      await eventually(() => statSync(file).size > before + 8 * 1024 * 1024, 'the file holds the pages');
      const rows = await sql<{ n: number }>`select count(*) as n from probe`.execute(db.kysely);
      assert.equal(rows.rows[0]?.n, 128);
    } finally {
      await checkpointer?.stop();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
