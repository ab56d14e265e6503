// The bounded fuzz run of CI (issue 11): every request shape of every surface (shapes.ts), on SQLite and
// PostgreSQL, at least 10,000 cases in all. Each case checks: no 5xx (nor Tencent InternalError), an answer
// within the per-request deadline, and no change to stored data when the request was refused (harness.ts).
// At the end the process's memory must be bounded. The figures are printed; `npm run fuzz -- --minutes N` runs
// the same properties for longer.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { emptyFigures, startFuzzTarget, unclassifiedTables, type FuzzTarget } from './harness.js';
import { memoryMiB, runFuzz } from './run-fuzz.js';
import { SURFACES } from './shapes.js';

const MIN_CASES = 10_000;
// SQLite takes the larger share (faster per case); PostgreSQL runs every shape too.
const CASES_PER_SURFACE: Record<string, number> = { sqlite: 1400, postgres: 700 };
const SURFACE_COUNT = Object.keys(SURFACES).length;

describe('fuzzing every surface', () => {
  const figures = emptyFigures();
  const targets: FuzzTarget[] = [];
  after(async () => {
    for (const t of targets) await t.close();
  });

  for (const target of databaseTargets) {
    it(
      `on ${target.dialect}: no 5xx, no hang, refused requests change nothing`,
      { skip: target.skipReason ?? false },
      async () => {
        const fuzz = await startFuzzTarget(target);
        targets.push(fuzz);
        // A table the snapshot does not watch, nor leaves out with a reason, would hide a refusal's change.
        assert.deepEqual(await unclassifiedTables(fuzz.server), []);
        const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
        console.log(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)`);
        const casesBefore = figures.cases;
        await runFuzz(fuzz, figures, { casesPerSurface: CASES_PER_SURFACE[target.dialect] ?? 700, seed });
        assert.equal(figures.cases - casesBefore, (CASES_PER_SURFACE[target.dialect] ?? 700) * SURFACE_COUNT);
        await fuzz.close();
      },
    );
  }

  it(`at least ${MIN_CASES} cases in all, 0 server errors, 0 hangs, 0 data changed by refusals, memory bounded`, async () => {
    const memory = memoryMiB();
    console.log(`fuzz figures: ${JSON.stringify({ ...figures, memory })}`);
    const ranPostgres = databaseTargets.some((t) => t.dialect === 'postgres' && !t.skipReason);
    // Without PostgreSQL (a local run without TEST_DATABASE_URL) only SQLite's share ran.
    const expected = ranPostgres ? MIN_CASES : CASES_PER_SURFACE.sqlite! * SURFACE_COUNT;
    assert.ok(figures.cases >= expected, `${figures.cases} cases`);
    assert.equal(figures.serverErrors, 0);
    assert.equal(figures.hangs, 0);
    assert.equal(figures.refusedThatChangedData, 0);
    // Both outcomes were exercised: the generators reach the handlers, not only the refusals.
    assert.ok(figures.refused > figures.cases / 10, `${figures.refused} refused`);
    assert.ok(figures.served > figures.cases / 20, `${figures.served} served`);
    // The whole run (two servers, 10,000 requests) in one process: a leak of even a few kB per request shows.
    assert.ok(memory.heapUsed < 600, `heap ${memory.heapUsed} MiB`);
    assert.ok(memory.rss < 1500, `RSS ${memory.rss} MiB`);
  });
});
