// `npm run bench -- --vs-glance`: the same workloads against the real Glance 25 (+ Keystone) and against
// imageshare, back to back in one run, with the same client: the peer harness's own `lib/bench.py` (wrk for
// list / show / add-member at 1 and 16 connections, curl for the 1 GiB upload and downloads, peak RSS of the
// server's process tree sampled every 50 ms). Glance is set up when missing (`setup.sh`, needs root), started
// when not running, and afterwards exactly the PIDs this run started are stopped again.
//
// The harness lives beside the repository: ../shared/peers/glance (BENCH_GLANCE_HARNESS overrides it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config.js';
import { openServices } from '../src/main.js';
import { cleanEnv, repoRoot, startServerProcess } from './lib/server-process.js';

export interface VsGlanceOptions {
  images: number;
  shared: number;
  durationSeconds: number;
  connections: number[];
  transferMiB: number;
  downloads: number;
  /** imageshare's server.workers for the run (default: the server's own default, the number of cores). */
  workers?: number;
  log: (line: string) => void;
}

/** One wrk run as bench.py records it (latencies in microseconds). */
export interface PeerRun {
  name: string;
  conns: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  server_cpu_s: Record<string, number>;
}

interface PeerTransfer {
  http: string;
  seconds: number;
  MBps: number;
  peak_rss_kb_total: number;
}

/** The JSON bench.py writes. */
export interface PeerResult {
  label: string;
  pids: number[];
  prepare: Record<string, number>;
  sanity: Record<string, number>;
  runs: PeerRun[];
  transfer?: { upload: PeerTransfer & { status_after: string }; download: PeerTransfer[] };
  /** Added here: the load average before and after this side's run, and its idle RSS. */
  loadBefore: string;
  loadAfter: string;
  idleRssKb: number;
  wallSeconds: number;
}

export interface VsGlanceResult {
  glance: PeerResult;
  imageshare: PeerResult;
  options: Omit<VsGlanceOptions, 'log'>;
  glanceVersion: string;
  workers: string;
}

const harnessDir = resolve(
  process.env.BENCH_GLANCE_HARNESS ?? join(repoRoot, '..', 'shared', 'peers', 'glance'),
);
const run = process.env.HARNESS_RUN ?? '/tmp/harness';
// Swift's S3 endpoint, which every helper's tests share, already listens on the harness's default static-HTTP
// port (18080); the benchmark needs no static server, but setup.sh writes the port into Glance's config.
const httpPort = process.env.BENCH_GLANCE_HTTP_PORT ?? '18090';
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

function harnessEnv(extra: Record<string, string> = {}): Record<string, string> {
  return cleanEnv({
    PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}`,
    HARNESS_DIR: harnessDir,
    HTTP_PORT: httpPort,
    ...extra,
  });
}

/** The PID in `<run>/<name>.pid` when that process runs a command line containing `pattern`. */
function livePid(name: string, pattern: string): number | null {
  try {
    const pid = Number(readFileSync(join(run, `${name}.pid`), 'utf8').trim());
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes(pattern) ? pid : null;
  } catch {
    return null;
  }
}

const glanceServers = [
  { name: 'keystone', pattern: 'keystone-wsgi-public', target: 'keystone' },
  { name: 'glance-api', pattern: 'glance-api.conf', target: 'glance' },
  { name: 'glance-api-r', pattern: 'glance-api-r.conf', target: 'glance' },
] as const;

function ensureGlanceInstalled(log: (line: string) => void): void {
  if (existsSync(join(run, 'etc', 'keystone', 'keystone.conf')) && existsSync('/usr/bin/glance-api')) return;
  log(`Glance harness not set up: running ${harnessDir}/setup.sh (apt install + configure, ~1.5 min)`);
  execFileSync(join(harnessDir, 'setup.sh'), [], {
    env: harnessEnv(),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Starts Keystone and Glance when not running; returns the PIDs this call started (to stop them later). */
function startGlance(log: (line: string) => void): Array<{ name: string; pid: number }> {
  const before = new Map(glanceServers.map((s) => [s.name, livePid(s.name, s.pattern)]));
  const targets = [...new Set(glanceServers.filter((s) => before.get(s.name) === null).map((s) => s.target))];
  if (targets.length === 0) {
    log('Glance and Keystone already running (not started by this run: left running afterwards)');
    return [];
  }
  execFileSync(join(harnessDir, 'start.sh'), targets, {
    env: harnessEnv(),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const started: Array<{ name: string; pid: number }> = [];
  for (const s of glanceServers) {
    const pid = livePid(s.name, s.pattern);
    if (before.get(s.name) === null && pid !== null) started.push({ name: s.name, pid });
  }
  log(`started ${started.map((s) => `${s.name}=${s.pid}`).join(' ')}`);
  return started;
}

/** SIGTERM to exactly these PIDs (each the leader of what it forked), SIGKILL after 10 s; removes their PID files. */
async function stopStarted(started: Array<{ name: string; pid: number }>, log: (line: string) => void) {
  for (const { name, pid } of started) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && isRunning(pid)) await new Promise((r) => setTimeout(r, 100));
    if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    if (livePid(name, '') === pid || !isRunning(pid)) rmSync(join(run, `${name}.pid`), { force: true });
    log(`stopped ${name} (pid ${pid})`);
  }
}

function isRunning(pid: number): boolean {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return state !== null && state[1] !== 'Z';
  } catch {
    return false;
  }
}

function rssTreeKb(root: number): number {
  const out = spawnSync('ps', ['-o', 'rss=', '--ppid', String(root)], { encoding: 'utf8' });
  const children = out.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
  const own = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${root}/status`, 'utf8'));
  return Number(own?.[1] ?? 0) + children.reduce((a, b) => a + b, 0);
}

/** Runs the harness's bench.py against one service; returns its JSON plus load and idle RSS. */
function runPeerBench(
  label: string,
  pidfile: string,
  options: VsGlanceOptions,
  outDir: string,
  env: Record<string, string>,
  extraArgs: string[] = [],
): PeerResult {
  const jsonOut = join(outDir, `vs-glance-${label}.json`);
  const loadBefore = loadavg();
  const idleRssKb = rssTreeKb(Number(readFileSync(pidfile, 'utf8').trim()));
  const t0 = Date.now();
  const args = [
    join(harnessDir, 'lib', 'bench.py'),
    '--label',
    label,
    '--pidfile',
    pidfile,
    '--images',
    String(options.images),
    '--shared',
    String(options.shared),
    '--duration',
    String(options.durationSeconds),
    '--conns',
    options.connections.join(','),
    '--transfer-mb',
    String(options.transferMiB),
    '--transfer-file',
    join(run, `bench-transfer-${options.transferMiB}m.bin`),
    '--downloads',
    String(options.downloads),
    '--json-out',
    jsonOut,
    ...(options.transferMiB === 0 ? ['--skip-transfer'] : []),
    ...extraArgs,
  ];
  const res = spawnSync('/usr/bin/python3', args, {
    env: harnessEnv({ RUN: run, ...env }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (res.status !== 0) throw new Error(`bench.py for ${label} failed (exit ${res.status})`);
  const parsed = JSON.parse(readFileSync(jsonOut, 'utf8')) as PeerResult;
  return {
    ...parsed,
    loadBefore,
    loadAfter: loadavg(),
    idleRssKb,
    wallSeconds: Math.round((Date.now() - t0) / 1000),
  };
}

/** Accounts bench.py logs in as (bench owns the images, demo receives 200 shares) and 50 member accounts. */
async function seedAccounts(dataDir: string): Promise<string[]> {
  const config = loadConfig({ file: '', env: {}, overrides: { dataDir } });
  const { db, services } = await openServices(config);
  try {
    await services.accounts.create({ name: 'bench', password: 'bench-pass' });
    await services.accounts.create({ name: 'demo', password: 'demo-pass' });
    const members: string[] = [];
    for (let i = 0; i < 50; i++) {
      members.push(
        (await services.accounts.create({ name: `member-${i}`, password: 'member-pass' })).account.id,
      );
    }
    return members;
  } finally {
    await db.close();
  }
}

export async function runVsGlance(options: VsGlanceOptions): Promise<VsGlanceResult> {
  const { log } = options;
  const outDir = join(repoRoot, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  ensureGlanceInstalled(log);
  const glanceVersion = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'glance-api'], {
    encoding: 'utf8',
  }).stdout;

  // Glance first, then imageshare, one after the other: only one server is under load at a time.
  const started = startGlance(log);
  let glance: PeerResult;
  try {
    log(
      `Glance ${glanceVersion}: bench.py (${options.images} images, ${options.durationSeconds} s per wrk run)`,
    );
    glance = runPeerBench('glance', join(run, 'glance-api.pid'), options, outDir, {});
  } finally {
    await stopStarted(started, log);
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-vs-glance-'));
  try {
    const members = await seedAccounts(dataDir);
    const membersFile = join(dataDir, 'member-accounts.txt');
    writeFileSync(membersFile, members.join('\n') + '\n');
    const server = await startServerProcess({
      dataDir,
      env: {
        // bench.py owns 'images' images in one region; the default quota (500) is for real tenants.
        IMAGESHARE_IMAGES__QUOTA_PER_REGION: String(options.images + 100),
        // bench.py's set-up creates and uploads every image as one account as fast as it can; Glance has no
        // per-account write limit, so ours (rateLimits.writes) is off for the comparison.
        IMAGESHARE_RATE_LIMITS__WRITES__PER_SECOND: '0',
      },
      workers: options.workers ?? 0,
    });
    const pidfile = join(dataDir, 'server.pid');
    writeFileSync(pidfile, String(server.pid));
    try {
      await new Promise((r) => setTimeout(r, 1000)); // let every worker settle before the idle RSS
      log(`imageshare ${server.url} (pid ${server.pid}): bench.py, same workloads`);
      const imageshare = runPeerBench(
        'imageshare',
        pidfile,
        options,
        outDir,
        {
          KEYSTONE_URL: `${server.url}/identity`,
          REGION: 'ap-guangzhou',
          MEMBER_ACCOUNTS_FILE: membersFile,
        },
        // imageshare refuses to delete a shared image (the seed's rule); the data folder goes anyway.
        ['--keep'],
      );
      return {
        glance,
        imageshare,
        options: { ...options, log: undefined } as Omit<VsGlanceOptions, 'log'>,
        glanceVersion,
        workers: options.workers ? String(options.workers) : 'default (number of cores)',
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
