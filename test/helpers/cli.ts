// How tests run the `imageshare` command: the TypeScript sources through tsx, so a test always exercises the
// code as it is now, never a stale dist/ (bin/imageshare.js runs the compiled build; test/ops/production-build
// checks that path on its own).
//
//   spawn(process.execPath, cliArgs('serve', '--port', '0'), { cwd: repoRoot })
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

/** Node arguments that run `imageshare <args>` from the sources. */
export function cliArgs(...args: string[]): string[] {
  return ['--import', 'tsx', resolve(repoRoot, 'src', 'cli', 'main.ts'), ...args];
}
