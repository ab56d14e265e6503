// Several processes migrating one fresh SQLite file at once (clusters of one machine starting together) take
// turns: each pending migration runs once, in one of them, and every process starts. Kysely's SQLite adapter
// takes no migration lock; database.ts's LockingSqliteAdapter holds SQLite's write lock for the migrations.
// Without it this test failed with "table ... already exists" (checked by turning the lock off).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { migrations } from '../../src/repositories/db/migrations/index.js';

const PROCESSES = 6;
const databaseModule = resolve('src/repositories/db/database.ts');

/** One process: waits for the common start instant, migrates, prints what it applied (JSON) or its error. */
function migrateInChild(file: string, startAt: number): Promise<{ code: number | null; out: string }> {
  const script = `
    const { openDatabase, migrateToLatest } = await import(${JSON.stringify(databaseModule)});
    const db = openDatabase({ url: ${JSON.stringify(file)} });
    while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 1));
    try {
      console.log(JSON.stringify(await migrateToLatest(db)));
    } catch (error) {
      console.log('ERROR ' + (error && error.message));
      process.exitCode = 1;
    } finally {
      await db.close();
    }`;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, out: out.trim() }));
  });
}

describe('SQLite migrations from several processes at once', () => {
  it(`${PROCESSES} processes migrate one fresh file: each migration runs once, every process starts`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imageshare-migrate-'));
    try {
      for (let round = 0; round < 3; round++) {
        const file = join(dir, `round-${round}.sqlite`);
        // Far enough ahead for every child to have loaded tsx and opened the file.
        const startAt = Date.now() + 4000;
        const runs = await Promise.all(
          Array.from({ length: PROCESSES }, () => migrateInChild(file, startAt)),
        );
        for (const run of runs) assert.equal(run.code, 0, `a process failed to migrate: ${run.out}`);
        const applied = runs.flatMap((run) => JSON.parse(run.out.split('\n').at(-1) ?? '[]') as string[]);
        assert.deepEqual(applied.sort(), Object.keys(migrations).sort(), 'each migration once in all');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
