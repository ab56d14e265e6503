// How tests run the `imageshare` command: the TypeScript sources through tsx, so a test always exercises the
// code as it is now, never a stale dist/ (bin/imageshare.js runs the compiled build; test/ops/production-build
// checks that path on its own).
//
//   spawn(process.execPath, cliArgs('serve', '--port', '0'), { cwd: repoRoot })
import { spawn } from 'node:child_process';
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

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs `imageshare ...args` to its end with no IMAGESHARE_* settings of the test's own environment (only
 * `env`'s), in `cwd` (default: the repository), writing `input` to its standard input.
 */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('IMAGESHARE_') && k !== 'DATABASE_URL') base[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(...args), {
      cwd: options.cwd ?? repoRoot,
      env: { ...base, IMAGESHARE_CONFIG: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(options.input ?? '');
  });
}
