// The server under test runs as its own process (`node bin/imageshare.js serve`), so its memory and CPU are
// measured apart from the benchmark client. Memory comes from /proc/<pid>/status (VmRSS sampled, VmHWM as
// the kernel's own peak), CPU from /proc/<pid>/stat.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface ServerOptions {
  dataDir: string;
  databaseUrl?: string;
  databaseSchema?: string;
  /** Server log level; default `info` (what ships), BENCH_SERVER_LOG_LEVEL overrides. */
  logLevel?: string;
  /** Dotted config settings as IMAGESHARE_A__B environment variables, e.g. { IMAGESHARE_TOKENS__TTL_SECONDS: '7200' }. */
  env?: Record<string, string>;
  /**
   * server.workers; default 1: the data and list benchmarks measure one process's CPU and RSS. 0 is the
   * server's own default (one per core), which `--vs-glance` uses.
   */
  workers?: number;
  /** Extra node options before the entry, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] (BENCH_CPU_PROF). */
  nodeArgs?: string[];
  /** The server's entry script; default BENCH_SERVER_ENTRY, else bin/imageshare.js (another build: members). */
  entry?: string;
}

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Lines of stdout/stderr seen so far (kept short: only the last 200 of each). */
  stderr: string[];
  stop(): Promise<number | null>;
}

/** The environment for child processes: no proxies (loopback only) and no IMAGESHARE_* leaking in. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(http|https|all|no)_proxy$/i.test(k)) continue;
    if (k.startsWith('IMAGESHARE_') || k === 'DATABASE_URL' || k === 'PORT' || k === 'HOST') continue;
    env[k] = v;
  }
  return { ...env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extra };
}

export async function startServerProcess(options: ServerOptions, timeoutMs = 60_000): Promise<ServerProcess> {
  const args = [
    ...(options.nodeArgs ?? []),
    // BENCH_SERVER_ENTRY=dist/server/cli/main.js runs the compiled server (after `npm run build`).
    options.entry ?? process.env.BENCH_SERVER_ENTRY ?? 'bin/imageshare.js',
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data-dir',
    options.dataDir,
  ];
  if (options.databaseUrl) args.push('--database-url', options.databaseUrl);
  if (options.databaseSchema) args.push('--database-schema', options.databaseSchema);
  const env = cleanEnv({
    IMAGESHARE_CONFIG: '',
    IMAGESHARE_LOG_LEVEL: options.logLevel ?? process.env.BENCH_SERVER_LOG_LEVEL ?? 'info',
    // Every benchmark request comes from 127.0.0.1.
    IMAGESHARE_LOGIN__MAX_FAILURES_PER_ADDRESS: '100000',
    IMAGESHARE_SERVER__WORKERS: String(options.workers ?? 1),
    ...(options.env ?? {}),
  });
  // The request log (stdout) goes to a file, as a deployment sends it to a reader that keeps up. Through a
  // pipe to this process it was read only between runs: the clients run synchronously (spawnSync: wrk,
  // bench.py), so during a run the pipe filled and the server held every line in memory (pino buffers what
  // it cannot write), which counted in its RSS, and slept on the full pipe (4% of an add-member profile).
  const logDir = mkdtempSync(join(tmpdir(), 'imageshare-bench-log-'));
  const logFile = join(logDir, 'stdout.log');
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  const stderr: string[] = [];
  const keep = (list: string[], line: string) => {
    list.push(line);
    if (list.length > 200) list.shift();
  };
  createInterface({ input: child.stderr! }).on('line', (line) => keep(stderr, line));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((res) =>
    child.once('exit', (code) => {
      exitCode = code;
      res(code);
    }),
  );
  const url = await (async () => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /^imageshare listening on (\S+)/m.exec(readFileSync(logFile, 'utf8'));
      if (match) return match[1] as string;
      if (exitCode !== undefined) {
        throw new Error(`server exited with ${exitCode} before listening:\n${stderr.join('\n')}`);
      }
      if (Date.now() > deadline) throw new Error(`server did not start:\n${stderr.join('\n')}`);
      await sleep(50);
    }
  })();
  return {
    url,
    pid: child.pid as number,
    child,
    stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      rmSync(logDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** A field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or 0 once the process is gone. */
export function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Samples VmRSS of a process every `intervalMs` and keeps the peak; also samples this (client) process. */
export class RssSampler {
  peakKb = 0;
  clientPeakKb = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    const tick = () => {
      this.samples += 1;
      this.peakKb = Math.max(this.peakKb, statusKb(this.pid, 'VmRSS'));
      this.clientPeakKb = Math.max(this.clientPeakKb, Math.round(process.memoryUsage.rss() / 1024));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    return this;
  }

  stop(): this {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.peakKb = Math.max(this.peakKb, statusKb(this.pid, 'VmRSS'));
    return this;
  }
}
