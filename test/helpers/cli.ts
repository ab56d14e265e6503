// How tests run the `imageshare` command: the TypeScript sources through tsx, so a test always exercises the
// code as it is now, never a stale dist/ (bin/imageshare.js runs the compiled build; test/ops/production-build
// checks that path on its own).
//
//   spawn(process.execPath, cliArgs('serve', '--port', '0'), { cwd: repoRoot })
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

// tsx by absolute URL: `--import tsx` is resolved from the working folder, and some tests run the command
// from another folder on purpose (a fresh folder, as an operator would).
const tsxLoader = pathToFileURL(createRequire(resolve(repoRoot, 'package.json')).resolve('tsx')).href;

/** Node arguments that run `imageshare <args>` from the sources, from any working folder. */
export function cliArgs(...args: string[]): string[] {
  return ['--import', tsxLoader, resolve(repoRoot, 'src', 'cli', 'main.ts'), ...args];
}
