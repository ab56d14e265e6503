// The V8 young generation of the cluster's worker processes, set by the primary when it forks them.
//
// Node's default semi-space is 16 MiB on 64-bit: a busy process commits 32 MiB of new space (two
// semi-spaces) and keeps it while idle. Workers serve small JSON requests and stream image data, neither of
// which needs that much: with 4 MiB semi-spaces a worker is ~25 MiB smaller idle and during an upload, and
// its CPU per list, show and uploaded GiB stayed within the noise of alternating runs at load 9-28 (more,
// smaller scavenges are the expected price; bench/RESULTS.md, "Issue 10, fourth pass: memory"). V8 reads the size once, when the process starts
// (`v8.setFlagsFromString` afterwards changes nothing), so it has to be on the worker's command line.
// An operator's own `--max-semi-space-size` (node's command line or NODE_OPTIONS) wins.

/** Semi-space size, in MiB, given to cluster workers (V8's own default: 16). */
export const WORKER_SEMI_SPACE_MIB = 4;

/** Whether node options already set the semi-space size (V8 takes dashes or underscores). */
function setsSemiSpace(options: readonly string[]): boolean {
  return options.some((option) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(option));
}

/**
 * The node options a worker starts with: the primary's own (`process.execArgv`, e.g. a loader), plus the
 * semi-space size unless `execArgv` or NODE_OPTIONS (which workers inherit) already set one.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const inherited = (nodeOptions ?? '').split(/\s+/).filter((option) => option !== '');
  if (setsSemiSpace(execArgv) || setsSemiSpace(inherited)) return [...execArgv];
  return [...execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`];
}
