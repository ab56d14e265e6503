// The long fuzz run: `npm run fuzz -- --minutes N` (default 5). The same properties as the CI run
// (fuzz.test.ts), time-bounded, on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (the time split
// between them). Prints the figures as JSON at the end; exits 1 on the first violation (with the shrunk
// request and the seed to replay it: --seed N).
import { databaseTargets } from '../helpers/databases.js';
import { emptyFigures, startFuzzTarget } from './harness.js';
import { memoryMiB, runFuzz } from './run-fuzz.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const minutes = Number(option('minutes') ?? '5');
if (!(minutes > 0)) {
  console.error('usage: npm run fuzz -- --minutes N [--seed S]');
  process.exit(2);
}
const seed = Number(option('seed') ?? Date.now() % 2 ** 31);
const targets = databaseTargets.filter((t) => !t.skipReason);
const figures = emptyFigures();
const started = Date.now();
const memoryAtStart = memoryMiB();
let failed = false;
console.log(`fuzzing for ${minutes} min on ${targets.map((t) => t.dialect).join(' and ')}, seed ${seed}`);
for (const target of targets) {
  const fuzz = await startFuzzTarget(target);
  try {
    await runFuzz(fuzz, figures, { timeLimitMs: (minutes * 60_000) / targets.length, seed });
  } catch (err) {
    console.error((err as Error).message);
    failed = true;
  } finally {
    await fuzz.close();
  }
  if (failed) break;
}
const seconds = Math.round((Date.now() - started) / 1000);
console.log(
  JSON.stringify(
    {
      seconds,
      seed,
      ...figures,
      casesPerSecond: Math.round(figures.cases / seconds),
      memoryAtStart,
      memoryAtEnd: memoryMiB(),
    },
    null,
    2,
  ),
);
process.exit(failed || figures.serverErrors + figures.hangs + figures.refusedThatChangedData > 0 ? 1 : 0);
