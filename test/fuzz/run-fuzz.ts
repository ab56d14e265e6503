// Runs the fuzz properties of every surface against one fuzz target, bounded by a number of cases (CI) or by
// time (the long run), and returns the figures. A violation stops the run with fast-check's counterexample
// (the request, shrunk) and the seed to replay it.
import fc from 'fast-check';
import { FuzzFailure, type Figures, type FuzzTarget } from './harness.js';
import { SURFACES, type SurfaceName } from './shapes.js';

export interface FuzzBudget {
  /** Cases per surface (CI). */
  casesPerSurface?: number;
  /** Or: run until this many milliseconds have passed, in batches over the surfaces in turn. */
  timeLimitMs?: number;
  seed?: number;
}

const BATCH = 250;

export async function runFuzz(target: FuzzTarget, figures: Figures, budget: FuzzBudget): Promise<void> {
  const names = Object.keys(SURFACES) as SurfaceName[];
  const property = (name: SurfaceName) =>
    fc.asyncProperty(SURFACES[name](target.fixtures), async (request) => {
      await target.check(name, request, figures);
    });
  const assertProperty = async (name: SurfaceName, numRuns: number, seed: number) => {
    try {
      await fc.assert(property(name), { numRuns, seed, endOnFailure: false, verbose: 0 });
    } catch (err) {
      // fast-check's report holds the shrunk request and the seed; keep the FuzzFailure's own text first.
      const cause = (err as { cause?: unknown }).cause;
      const first = cause instanceof FuzzFailure ? `${cause.message}\n` : '';
      throw new Error(`fuzz ${name}: ${first}${(err as Error).message}`);
    }
  };

  const baseSeed = budget.seed ?? Date.now() % 2 ** 31;
  if (budget.casesPerSurface !== undefined) {
    for (const [i, name] of names.entries()) await assertProperty(name, budget.casesPerSurface, baseSeed + i);
    return;
  }
  const deadline = Date.now() + (budget.timeLimitMs ?? 0);
  for (let round = 0; Date.now() < deadline; round++) {
    for (const [i, name] of names.entries()) {
      if (Date.now() >= deadline) break;
      await assertProperty(name, BATCH, baseSeed + round * names.length + i);
    }
  }
}

/** Memory of this process (the in-process server's): resident set and heap, in MiB. */
export function memoryMiB(): { rss: number; heapUsed: number } {
  const m = process.memoryUsage();
  return { rss: Math.round(m.rss / 2 ** 20), heapUsed: Math.round(m.heapUsed / 2 ** 20) };
}
