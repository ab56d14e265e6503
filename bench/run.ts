// `npm run bench [-- data | list | all]`: the benchmarks of bench/README section in RESULTS.md.
//   data  1 GiB streamed upload / download / ranges against a server process, its RSS sampled
//   list  listing as a receiver over 10,000 and 100,000 seeded images, SQLite and (when a URL is set) PostgreSQL
//   s3    4 GiB streamed upload / download / ranges with the blob store in S3 (Swift + s3api on loopback:
//         BENCH_S3_ENDPOINT / TEST_S3_ENDPOINT, else one started through ../shared/tools/swift-s3.sh);
//         not part of `all`, as it needs Swift and takes minutes
//   scale  lists at scale: N images and N x K shares generated in the database (not through the API), first
//         pages as owner and receiver in-process and over HTTP, at 10,000 and 1,000,000 images; the page as
//         5 round trips vs 1 and (PostgreSQL) unnamed vs prepared statements, alternating in the same run.
//         `scale [--images 10000,1000000] [--shares-per-image 5] [--db postgres|sqlite]` (postgres: needs
//         BENCH_DATABASE_URL; its default when that is set). Section scale-<db> of RESULTS.md.
//   describe  Tencent DescribeImages (20 images), TC3-signed by a Node client, BENCH_DESCRIBE_CONNS=32 connections
//   members  Glance add-member (a fresh image/account pair per request), wrk at BENCH_CONNS, server.workers
//         default; BENCH_MEMBERS_BASE=<checkout dir, built> alternates that build's server with this one,
//         BENCH_MEMBERS_ROUNDS=2, BENCH_MEMBERS_IMAGES=600 per run, BENCH_MEMBERS_WORKERS (0: the default).
//         Prints and saves its figures (bench/out/members-*.json); RESULTS.md is left alone.
//   --vs-glance  the real Glance 25 + Keystone (../shared/peers/glance; set up when missing, started, stopped
//         again) and imageshare back to back with the harness's bench.py: list / show / add-member at 1 and 16
//         connections, 1 GiB up and down; every figure with its ratio. `--vs-glance --quick` is a ~3 minute
//         smoke run (1000 images, 5 s per wrk run, 256 MiB). Knobs: BENCH_VS_IMAGES=2000 BENCH_VS_DURATION=15
//         BENCH_VS_TRANSFER_MB=1024 BENCH_VS_WORKERS (imageshare's server.workers; default: its own default)
// Raw JSON goes to bench/out/ (ignored by git); the generated tables replace their section of bench/RESULTS.md.
//
// Knobs (environment): BENCH_S3_MB=4096 BENCH_DATA_MB=1024 BENCH_DATA_DIRECT_IO=1 (blob.directIo) BENCH_DOWNLOADS=2 BENCH_RANGES=200 BENCH_IMAGES=10000,100000
// BENCH_SERVER_ENTRY=dist/server/cli/main.js (the compiled server, after npm run build) BENCH_SHARED=1000 BENCH_CONNS=1,16 BENCH_DURATION=8 BENCH_WARMUP=2 BENCH_ITERATIONS=200
// BENCH_DATABASE_URL (else TEST_DATABASE_URL) = postgres://... adds the PostgreSQL listing run;
// BENCH_WRITE_RESULTS=0 leaves RESULTS.md alone (smoke runs with small sizes); BENCH_NO_WRK=1 uses the
// in-process load loop instead of wrk; BENCH_SERVER_LOG_LEVEL=info (the shipped default).
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { runDataBench, type DataBenchResult } from './data.bench.js';
import { runVsGlance, type VsGlanceResult } from './glance.bench.js';
import { runDescribeBench, type DescribeBenchResult } from './describe.bench.js';
import { runListBench, type ListBenchResult } from './list.bench.js';
import { runMembersBench } from './members.bench.js';
import { runScaleBench, type ScaleBenchResult } from './scale.bench.js';
import { haveWrk } from './lib/load.js';
import { repoRoot } from './lib/server-process.js';
import { updateResults } from './report.js';

// Loopback only: no proxy may sit between the client and the server.
for (const k of ['http_proxy', 'https_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'])
  delete process.env[k];

const env = process.env;
const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const list = (name: string, fallback: number[]) =>
  env[name] ? env[name].split(',').map((s) => Number(s.trim())) : fallback;

// `--name value` options (scale); their values are not the benchmark's name.
const optionNames = ['--images', '--shares-per-image', '--db'];
const args = process.argv.slice(2);
const optionValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !optionNames.includes(args[i - 1] ?? ''));
const flags = args.filter((a) => a.startsWith('--'));
const quick = flags.includes('--quick');
const which = flags.includes('--vs-glance') ? 'vs-glance' : (positional[0] ?? 'all');
if (!['all', 'data', 'list', 's3', 'describe', 'members', 'scale', 'vs-glance'].includes(which)) {
  console.error(
    'usage: npm run bench [-- data | list | s3 | describe | members | all | --vs-glance [--quick] | ' +
      'scale [--images 10000,1000000] [--shares-per-image 5] [--db postgres|sqlite]]',
  );
  process.exit(2);
}

const started = Date.now();
const log = (line: string) =>
  console.error(
    `[${new Date().toISOString().slice(11, 19)} +${Math.round((Date.now() - started) / 1000)}s] ${line}`,
  );

function sh(command: string): string {
  try {
    return execSync(command, { encoding: 'utf8' }).trimEnd();
  } catch {
    return '?';
  }
}

export interface Machine {
  date: string;
  command: string;
  nproc: string;
  cpuModel: string;
  memTotalGiB: number;
  freeH: string;
  node: string;
  kernel: string;
  wrk: string;
  git: string;
  loadBefore: string;
  /** Load average when the run ended: other work on the machine shows here. */
  loadAfter?: string;
}

const machine: Machine = {
  date: new Date().toISOString(),
  command:
    `npm run bench${which === 'all' ? '' : ` -- ${which === 'vs-glance' ? flags.join(' ') : args.join(' ')}`}` +
    knobsSet(),
  nproc: sh('nproc'),
  cpuModel: cpus()[0]?.model ?? '?',
  memTotalGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  freeH: sh('free -h'),
  node: process.version,
  kernel: sh('uname -r'),
  wrk: haveWrk() ? sh('wrk -v 2>&1 | head -1') : 'not used',
  git:
    sh(`git -C ${repoRoot} rev-parse --short HEAD`) +
    (sh(`git -C ${repoRoot} status --porcelain src`) ? ' (+ uncommitted src changes)' : ''),
  loadBefore: sh('cat /proc/loadavg'),
};

function knobsSet(): string {
  const set = Object.keys(env)
    .filter((k) => k.startsWith('BENCH_') && k !== 'BENCH_DATABASE_URL')
    .map((k) => `${k}=${env[k]}`);
  if (env.BENCH_DATABASE_URL) set.push('BENCH_DATABASE_URL=<postgres url>');
  return set.length ? ` (with ${set.join(' ')})` : '';
}

const outDir = join(repoRoot, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const stamp = machine.date.replace(/[:.]/g, '-');

function save(name: string, data: unknown): string {
  const path = join(outDir, `${name}-${stamp}.json`);
  const text = JSON.stringify({ machine, ...((data as object) ?? {}) }, null, 1);
  writeFileSync(path, text);
  writeFileSync(join(outDir, `${name}-latest.json`), text);
  return path;
}

let data: DataBenchResult | undefined;
let s3: DataBenchResult | undefined;
const lists: ListBenchResult[] = [];
let vsGlance: VsGlanceResult | undefined;
let describe: DescribeBenchResult | undefined;
let scale: ScaleBenchResult | undefined;

log(`machine: ${machine.nproc} cores, ${machine.node}, load ${machine.loadBefore}`);
if (which === 'all' || which === 'data') {
  data = await runDataBench({
    sizeMiB: num('BENCH_DATA_MB', 1024),
    downloads: num('BENCH_DOWNLOADS', 2),
    ranges: num('BENCH_RANGES', 200),
    rangeBytes: 64 * 1024,
    log,
    // BENCH_DATA_DIRECT_IO=1: the server writes upload data with O_DIRECT (blob.directIo).
    ...(env.BENCH_DATA_DIRECT_IO === '1'
      ? {
          serverEnv: { IMAGESHARE_BLOB__DIRECT_IO: 'true' },
          storeLabel: 'SQLite + local blob folder, `blob.directIo: true`',
        }
      : {}),
  });
  log(`wrote ${save('data', { data })}`);
}
if (which === 's3') {
  if (env.BENCH_S3_ENDPOINT) env.TEST_S3_ENDPOINT = env.BENCH_S3_ENDPOINT;
  const { createTestBucket } = await import('../test/helpers/s3.js');
  const bucket = await createTestBucket({ partSizeMiB: 8 });
  try {
    s3 = await runDataBench({
      sizeMiB: num('BENCH_S3_MB', 4096),
      downloads: num('BENCH_DOWNLOADS', 1),
      ranges: num('BENCH_RANGES', 200),
      rangeBytes: 64 * 1024,
      log,
      serverEnv: bucket.env,
      storeLabel:
        'SQLite + blob store in S3 (OpenStack Swift with s3api on loopback, same machine; 8 MiB parts, ' +
        '2 parts in flight)',
    });
  } finally {
    await bucket.remove();
  }
  log(`wrote ${save('s3', { s3 })}`);
}
if (which === 'all' || which === 'list') {
  const pgUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || '';
  for (const databaseUrl of ['', ...(pgUrl ? [pgUrl] : [])]) {
    lists.push(
      await runListBench({
        sizes: list('BENCH_IMAGES', [10_000, 100_000]),
        shared: num('BENCH_SHARED', 1000),
        databaseUrl,
        connections: list('BENCH_CONNS', [1, 16]),
        durationSeconds: num('BENCH_DURATION', 8),
        warmupSeconds: num('BENCH_WARMUP', 2),
        inProcessIterations: num('BENCH_ITERATIONS', 200),
        log,
      }),
    );
  }
  if (!pgUrl) log('PostgreSQL skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a postgres:// URL');
  log(`wrote ${save('list', { lists })}`);
}

if (which === 'describe') {
  describe = await runDescribeBench({
    connections: num('BENCH_DESCRIBE_CONNS', 32),
    durationSeconds: num('BENCH_DURATION', quick ? 5 : 15),
    log,
  });
  log(`wrote ${save('describe', { describe })}`);
}
if (which === 'members') {
  const members = await runMembersBench({
    connections: list('BENCH_CONNS', [1, 16]),
    durationSeconds: num('BENCH_DURATION', 8),
    rounds: num('BENCH_MEMBERS_ROUNDS', 2),
    imagesPerRun: num('BENCH_MEMBERS_IMAGES', 600),
    ...(env.BENCH_MEMBERS_BASE ? { base: env.BENCH_MEMBERS_BASE } : {}),
    workers: num('BENCH_MEMBERS_WORKERS', 0),
    log,
  });
  log(`wrote ${save('members', { members })}`);
}
if (which === 'scale') {
  const db = optionValue('--db') ?? (env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL ? 'postgres' : 'sqlite');
  const pgUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || '';
  if (db === 'postgres' && !pgUrl) throw new Error('scale --db postgres: set BENCH_DATABASE_URL');
  const images = optionValue('--images');
  scale = await runScaleBench({
    sizes: images ? images.split(',').map(Number) : [10_000, 1_000_000],
    sharesPerImage: Number(optionValue('--shares-per-image') ?? 5),
    databaseUrl: db === 'postgres' ? pgUrl : '',
    connections: list('BENCH_CONNS', [1, 16]),
    durationSeconds: num('BENCH_DURATION', 8),
    warmupSeconds: num('BENCH_WARMUP', 2),
    iterations: num('BENCH_ITERATIONS', 500),
    log,
  });
  log(`wrote ${save(`scale-${scale.database}`, { scale })}`);
}
if (which === 'vs-glance') {
  vsGlance = await runVsGlance({
    images: num('BENCH_VS_IMAGES', quick ? 1000 : 2000),
    shared: 200,
    durationSeconds: num('BENCH_VS_DURATION', quick ? 5 : 15),
    connections: list('BENCH_CONNS', [1, 16]),
    transferMiB: num('BENCH_VS_TRANSFER_MB', quick ? 256 : 1024),
    downloads: num('BENCH_DOWNLOADS', 2),
    ...(env.BENCH_VS_WORKERS ? { workers: Number(env.BENCH_VS_WORKERS) } : {}),
    log,
  });
  log(`wrote ${save('vs-glance', { vsGlance })}`);
}

const wall = Math.round((Date.now() - started) / 1000);
machine.loadAfter = sh('cat /proc/loadavg');
log(`total wall time ${wall}s`);
if (env.BENCH_WRITE_RESULTS !== '0' && which !== 'members') {
  const path = updateResults({ machine, wallSeconds: wall, data, s3, lists, vsGlance, describe, scale });
  log(`updated ${path}`);
}
