// Fixed-duration HTTP load: wrk when installed (a C client, so the 2 cores go to the server rather than to
// the client), else an in-process loop of N concurrent requests. Both report the same fields.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { call } from './http.js';
import { cleanEnv, cpuSeconds, repoRoot } from './server-process.js';

export interface LoadResult {
  name: string;
  tool: 'wrk' | 'node';
  url: string;
  connections: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  /** Latencies in milliseconds. */
  latencyMs: { mean: number; p50: number; p90: number; p95: number; p99: number; max: number };
  errors: number;
  /** CPU seconds the server process used during the measured run, and per request (microseconds). */
  serverCpuSeconds: number;
  serverCpuUsPerRequest: number;
}

export interface LoadOptions {
  name: string;
  url: string;
  token: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  serverPid: number;
}

let wrkChecked: boolean | undefined;

export function haveWrk(): boolean {
  if (process.env.BENCH_NO_WRK === '1') return false;
  wrkChecked ??= spawnSync('wrk', ['-v'], { encoding: 'utf8' }).error === undefined;
  return wrkChecked;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  return haveWrk() ? runWrk(options) : runNodeLoop(options);
}

function runWrk(o: LoadOptions): LoadResult {
  const script = join(repoRoot, 'bench', 'wrk', 'report.lua');
  const args = (seconds: number) => [
    '-t1',
    `-c${o.connections}`,
    `-d${seconds}s`,
    '--timeout',
    '10s',
    '-H',
    `X-Auth-Token: ${o.token}`,
    '-s',
    script,
    o.url,
  ];
  const env = cleanEnv();
  if (o.warmupSeconds > 0) {
    spawnSync('wrk', args(o.warmupSeconds), {
      env,
      encoding: 'utf8',
      timeout: (o.warmupSeconds + 20) * 1000,
    });
  }
  const cpu0 = cpuSeconds(o.serverPid);
  const run = spawnSync('wrk', args(o.durationSeconds), {
    env,
    encoding: 'utf8',
    timeout: (o.durationSeconds + 20) * 1000,
  });
  const cpu = cpuSeconds(o.serverPid) - cpu0;
  const line = run.stdout.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (!line) throw new Error(`wrk ${o.name} failed: ${run.stdout} ${run.stderr} ${run.error ?? ''}`);
  const d = JSON.parse(line.slice(8)) as Record<string, number>;
  const n = (k: string) => d[k] ?? 0;
  const requests = n('requests');
  return {
    name: o.name,
    tool: 'wrk',
    url: o.url,
    connections: o.connections,
    durationSeconds: n('duration_us') / 1e6,
    requests,
    requestsPerSecond: round(requests / (n('duration_us') / 1e6), 1),
    latencyMs: {
      mean: round(n('lat_mean_us') / 1e3, 2),
      p50: round(n('p50') / 1e3, 2),
      p90: round(n('p90') / 1e3, 2),
      p95: round(n('p95') / 1e3, 2),
      p99: round(n('p99') / 1e3, 2),
      max: round(n('lat_max_us') / 1e3, 2),
    },
    errors: n('err_connect') + n('err_read') + n('err_write') + n('err_status') + n('err_timeout'),
    serverCpuSeconds: round(cpu, 2),
    serverCpuUsPerRequest: requests ? round((cpu / requests) * 1e6, 0) : 0,
  };
}

async function runNodeLoop(o: LoadOptions): Promise<LoadResult> {
  const url = new URL(o.url);
  const path = `${url.pathname}${url.search}`;
  const base = `${url.protocol}//${url.host}`;
  const loop = async (seconds: number, latencies: number[] | null) => {
    let errors = 0;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: o.connections }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          const res = await call(base, 'GET', path, { token: o.token });
          latencies?.push(performance.now() - t0);
          if (res.status >= 400) errors += 1;
        }
      }),
    );
    return errors;
  };
  if (o.warmupSeconds > 0) await loop(o.warmupSeconds, null);
  const latencies: number[] = [];
  const cpu0 = cpuSeconds(o.serverPid);
  const t0 = performance.now();
  const errors = await loop(o.durationSeconds, latencies);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(o.serverPid) - cpu0;
  const s = summarize(latencies);
  return {
    name: o.name,
    tool: 'node',
    url: o.url,
    connections: o.connections,
    durationSeconds: round(seconds, 2),
    requests: latencies.length,
    requestsPerSecond: round(latencies.length / seconds, 1),
    latencyMs: s,
    errors,
    serverCpuSeconds: round(cpu, 2),
    serverCpuUsPerRequest: latencies.length ? round((cpu / latencies.length) * 1e6, 0) : 0,
  };
}

/** mean/p50/p90/p95/p99/max of a list of milliseconds. */
export function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted.length
      ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number)
      : 0;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return {
    mean: round(mean, 3),
    p50: round(pct(50), 3),
    p90: round(pct(90), 3),
    p95: round(pct(95), 3),
    p99: round(pct(99), 3),
    max: round(sorted[sorted.length - 1] ?? 0, 3),
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
