// A process waiting for SQLite's write lock (another process is writing) keeps serving reads: the wait is a
// timer between tries (src/repositories/db/sqlite-driver.ts), not SQLite's busy handler, which sleeps the
// thread. The other process is played by a second connection to the same file in this process: with the
// old blocking busy_timeout its COMMIT could not even run until the wait gave up, so these tests fail on it.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, type Db } from '../../src/repositories/db/database.js';

/** Lets the queued work run its first try (a sequencing pause; nothing asserts how long anything took). */
const letItTry = () => new Promise((resolve) => setTimeout(resolve, 50));

/** A promise's outcome, readable synchronously. */
function watch<T>(promise: Promise<T>) {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  const done = promise.then(
    () => void (state.settled = true),
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return { state, done };
}

describe("SQLite: waiting for another process's write lock", () => {
  let dir: string;
  let file: string;
  let db: Db;
  let other: SQLite.Database;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imageshare-write-lock-'));
    file = join(dir, 'test.sqlite');
    db = openDatabase({ url: file });
    await migrateToLatest(db);
    await sql`create table probe (n integer not null)`.execute(db.kysely);
    other = new SQLite(file);
  });

  // A failed test leaves the next one a free lock.
  afterEach(() => {
    if (other.inTransaction) other.exec('rollback');
  });

  after(async () => {
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async () =>
    (await sql<{ n: number }>`select count(*) as n from probe`.execute(db.kysely)).rows[0]?.n;

  it('a transaction waiting for the lock lets a read through first, then commits once the lock is free', async () => {
    other.exec('begin immediate');
    other.exec('insert into probe (n) values (1)');
    const write = watch(
      db.kysely.transaction().execute(async (trx) => {
        // Reads the other's row: BEGIN IMMEDIATE began after its commit.
        const seen = (await sql<{ n: number }>`select count(*) as n from probe`.execute(trx)).rows[0]?.n;
        await sql`insert into probe (n) values (${seen})`.execute(trx);
      }),
    );
    await letItTry();
    // The read goes through the same (only) connection as the waiting transaction.
    assert.equal(await count(), 0, "the read sees the committed state, not the other writer's");
    assert.equal(write.state.settled, false, 'the read completed while the write still waited');
    other.exec('commit');
    await write.done;
    assert.equal(write.state.error, undefined);
    assert.deepEqual(
      (await sql<{ n: number }>`select n from probe order by rowid`.execute(db.kysely)).rows.map((r) => r.n),
      [1, 1],
    );
  });

  it('an autocommit write waits the same way, reads going on meanwhile', async () => {
    other.exec('begin immediate');
    const write = watch(sql`insert into probe (n) values (2)`.execute(db.kysely));
    await letItTry();
    assert.equal(write.state.settled, false);
    other.exec('commit');
    await write.done;
    assert.equal(write.state.error, undefined);
    assert.equal(await count(), 3);
  });

  it('transactions waiting for the lock take it in the order they asked', async () => {
    await sql`create table turn_probe (n integer not null)`.execute(db.kysely);
    other.exec('begin immediate');
    const writes = [];
    for (let n = 1; n <= 6; n++) {
      writes.push(
        watch(
          db.kysely
            .transaction()
            .execute((trx) => sql`insert into turn_probe (n) values (${n})`.execute(trx)),
        ),
      );
      // Each has asked (and the first has tried) before the next one comes.
      await letItTry();
    }
    other.exec('commit');
    await Promise.all(writes.map((w) => w.done));
    for (const w of writes) assert.equal(w.state.error, undefined);
    // Before the turns, each polled on its own random timer and the first try after the commit won.
    assert.deepEqual(
      (await sql<{ n: number }>`select n from turn_probe order by rowid`.execute(db.kysely)).rows.map(
        (r) => r.n,
      ),
      [1, 2, 3, 4, 5, 6],
    );
  });

  it("a lock never freed ends the wait with SQLITE_BUSY (the old busy_timeout's limit and error)", async () => {
    other.exec('begin immediate');
    const write = watch(
      db.kysely.transaction().execute((trx) => sql`insert into probe (n) values (3)`.execute(trx)),
    );
    await letItTry();
    assert.equal(await count(), 3, 'reads answer during the whole wait');
    await write.done;
    assert.equal((write.state.error as { code?: string } | undefined)?.code, 'SQLITE_BUSY');
    other.exec('rollback');
    // The connection is usable afterwards: nothing was left begun.
    await db.kysely.transaction().execute((trx) => sql`insert into probe (n) values (4)`.execute(trx));
    assert.equal(await count(), 4);
  });
});
