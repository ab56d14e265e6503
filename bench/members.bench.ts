// `npm run bench -- members`: Glance POST /v2/images/{id}/members, a fresh (image, account) pair per request
// (the add-member workload of `--vs-glance`), with wrk at 1 and 16 connections against the compiled server
// on its defaults (server.workers: one per core, all writing one SQLite file).
//
// BENCH_MEMBERS_BASE=<dir> also runs another checkout's compiled server (<dir>/bin/imageshare.js, after its
// `npm run build:server`) on the same data folder, alternating with this one run by run: on a shared
// machine only figures taken in the same run, interleaved, compare. Each run gets images of its own, so
// every request adds a new member (a repeat would answer 409 and count as an error).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { openServices } from '../src/main.js';
import { round } from './lib/load.js';
import { cleanEnv, cpuSeconds, repoRoot, startServerProcess } from './lib/server-process.js';

export interface MembersRun {
  server: 'this' | 'base';
  round: number;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  /** CPU seconds of the server's process tree (primary and workers) per request, in microseconds. */
  serverCpuUsPerRequest: number;
  loadBefore: string;
}

export interface MembersBenchResult {
  base: string | null;
  workers: string;
  imagesPerRun: number;
  accounts: number;
  durationSeconds: number;
  runs: MembersRun[];
}

const ACCOUNTS = 50;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

/** CPU seconds of a process and its children (the cluster's workers). */
function treeCpuSeconds(pid: number): number {
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);
  return cpuSeconds(pid) + children.reduce((sum, child) => sum + cpuSeconds(child), 0);
}

async function post(url: string, token: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function runMembersBench(options: {
  connections: number[];
  durationSeconds: number;
  rounds: number;
  /** Images per run: I images x 50 accounts fresh pairs; keep I*50 above what a run can add. */
  imagesPerRun: number;
  base?: string;
  workers: number;
  log: (line: string) => void;
}): Promise<MembersBenchResult> {
  const { log } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-members-'));
  const servers: Array<{ name: 'this' | 'base'; entry?: string }> = [
    { name: 'this' },
    ...(options.base ? [{ name: 'base' as const, entry: join(options.base, 'bin', 'imageshare.js') }] : []),
  ];
  const runsPlanned = options.rounds * servers.length * options.connections.length;
  // One slice of images per run plus a small one for each warm-up.
  const warmupImages = Math.ceil(options.imagesPerRun / 4);
  const totalImages = runsPlanned * (options.imagesPerRun + warmupImages);
  try {
    const config = loadConfig({ file: '', env: {}, overrides: { dataDir } });
    const { db, services } = await openServices(config);
    let ownerId: string;
    const accounts: string[] = [];
    try {
      ownerId = (await services.accounts.create({ name: 'members-owner', password: 'owner-pass' })).account
        .id;
      for (let i = 0; i < ACCOUNTS; i++) {
        accounts.push(
          (await services.accounts.create({ name: `member-${i}`, password: 'member-pass' })).account.id,
        );
      }
    } finally {
      await db.close();
    }
    const accountsFile = join(dataDir, 'accounts.txt');
    writeFileSync(accountsFile, accounts.join('\n') + '\n');
    const serverEnv = {
      IMAGESHARE_IMAGES__QUOTA_PER_REGION: String(totalImages + 100),
      // One account adds members as fast as it can; the per-account write limit would measure itself.
      IMAGESHARE_RATE_LIMITS__WRITES__PER_SECOND: '0',
    };

    let token = '';
    const start = async (entry?: string) => {
      const server = await startServerProcess({
        dataDir,
        env: serverEnv,
        workers: options.workers,
        ...(entry ? { entry } : {}),
        // BENCH_CPU_PROF=<dir>: a .cpuprofile per server process (each worker writes its own).
        ...(process.env.BENCH_CPU_PROF
          ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] }
          : {}),
      });
      const login = await post(`${server.url}/identity/v3/auth/tokens?nocatalog`, '', {
        auth: {
          identity: { methods: ['password'], password: { user: { id: ownerId, password: 'owner-pass' } } },
        },
      });
      token = login.headers.get('x-subject-token') ?? '';
      if (!token) throw new Error(`login failed: ${login.status}`);
      return server;
    };

    // The images, created once through the API, 8 requests at a time.
    log(`[members] creating ${totalImages} images`);
    const ids: string[] = [];
    {
      const server = await start();
      try {
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < totalImages) {
              const i = next++;
              const res = await post(`${server.url}/v2/images`, token, {
                name: `members-${i}`,
                disk_format: 'raw',
                container_format: 'bare',
              });
              if (res.status !== 201) throw new Error(`image create: ${res.status} ${await res.text()}`);
              ids[i] = ((await res.json()) as { id: string }).id;
            }
          }),
        );
      } finally {
        await server.stop();
      }
    }
    let sliceAt = 0;
    const slice = (count: number) => {
      const file = join(dataDir, `ids-${sliceAt}.txt`);
      writeFileSync(file, ids.slice(sliceAt, sliceAt + count).join('\n') + '\n');
      sliceAt += count;
      return file;
    };

    const wrk = (url: string, connections: number, seconds: number, idsFile: string) =>
      spawnSync(
        'wrk',
        [
          '-t1',
          `-c${connections}`,
          `-d${seconds}s`,
          '--timeout',
          '10s',
          '-H',
          `X-Auth-Token: ${token}`,
          '-s',
          join(repoRoot, 'bench', 'wrk', 'members.lua'),
          `${url}/`,
          '--',
          idsFile,
          accountsFile,
        ],
        {
          env: cleanEnv({ BENCH_WRK_DIR: join(repoRoot, 'bench', 'wrk') }),
          encoding: 'utf8',
          timeout: (seconds + 30) * 1000,
        },
      );

    const runs: MembersRun[] = [];
    for (let r = 0; r < options.rounds; r++) {
      // Alternate which server goes first in each round.
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const { name, entry } of order) {
        const server = await start(entry);
        try {
          for (const connections of options.connections) {
            wrk(server.url, connections, 2, slice(warmupImages));
            const idsFile = slice(options.imagesPerRun);
            const loadBefore = loadavg();
            const cpu0 = treeCpuSeconds(server.pid);
            const run = wrk(server.url, connections, options.durationSeconds, idsFile);
            const cpu = treeCpuSeconds(server.pid) - cpu0;
            const line = run.stdout.split('\n').find((l) => l.startsWith('WRKJSON '));
            if (!line) throw new Error(`wrk failed: ${run.stdout} ${run.stderr} ${run.error ?? ''}`);
            const d = JSON.parse(line.slice(8)) as Record<string, number>;
            const n = (k: string) => d[k] ?? 0;
            const seconds = n('duration_us') / 1e6;
            const result: MembersRun = {
              server: name,
              round: r,
              connections,
              seconds: round(seconds, 1),
              requests: n('requests'),
              rps: round(n('requests') / seconds, 1),
              latencyMs: {
                p50: round(n('p50') / 1e3, 2),
                p90: round(n('p90') / 1e3, 2),
                p99: round(n('p99') / 1e3, 2),
                max: round(n('lat_max_us') / 1e3, 2),
              },
              errors: n('err_connect') + n('err_read') + n('err_write') + n('err_status') + n('err_timeout'),
              serverCpuUsPerRequest: n('requests') ? Math.round((cpu / n('requests')) * 1e6) : 0,
              loadBefore,
            };
            runs.push(result);
            log(
              `[members] ${name} round ${r} c${connections}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, ` +
                `p99 ${result.latencyMs.p99} ms, errors ${result.errors}, ${result.serverCpuUsPerRequest} us CPU/req, ` +
                `load ${loadBefore.split(' ').slice(0, 3).join(' ')}`,
            );
          }
        } finally {
          await server.stop();
        }
      }
    }
    return {
      base: options.base ?? null,
      workers: options.workers === 0 ? 'default (one per core)' : String(options.workers),
      imagesPerRun: options.imagesPerRun,
      accounts: ACCOUNTS,
      durationSeconds: options.durationSeconds,
      runs,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
