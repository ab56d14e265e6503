// Image data: a server process on a fresh data folder, a normal account logged in through Keystone, one image
// created, then a 1 GiB body streamed up from a generator (chunked, 1 MiB at a time, never held whole by the
// client), streamed back down and checked against the MD5 / SHA-512 the client computed on the way up, and a
// set of Range requests checked byte for byte. The server's VmRSS is sampled every 50 ms and its VmHWM (the
// kernel's peak) read before and after each step, so memory growing with the image would show. The server
// runs as one process with a cluster worker's node options (src/worker-heap.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../src/config.js';
import { openServices } from '../src/main.js';
import { workerExecArgv } from '../src/worker-heap.js';
import { call, callOk, login, streamDownload, streamUpload, type TransferResult } from './lib/http.js';
import { round, summarize } from './lib/load.js';
import { RssSampler, cpuSeconds, startServerProcess, statusKb } from './lib/server-process.js';

export interface DataBenchOptions {
  sizeMiB: number;
  downloads: number;
  ranges: number;
  rangeBytes: number;
  log: (line: string) => void;
  /** Extra server environment, e.g. the S3 blob store settings (default: the local blob folder). */
  serverEnv?: Record<string, string>;
  /** Where the image data goes, for the report. */
  storeLabel?: string;
}

interface TransferFigures {
  http: number;
  bytes: number;
  seconds: number;
  MBps: number;
  MiBps: number;
  serverPeakRssKb: number;
  serverHwmKbAfter: number;
  clientPeakRssKb: number;
  /** CPU seconds used during the transfer: the server process, and this client (which hashes too). */
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  hashesMatch?: boolean;
}

export interface DataBenchResult {
  /** The blob store the server wrote to. */
  store: string;
  sizeBytes: number;
  chunkBytes: number;
  imageId: string;
  serverRssKb: { idle: number; hwmBeforeUpload: number; hwmAfterUpload: number; hwmAfterDownloads: number };
  upload?: TransferFigures & { statusAfter: unknown; sizeAfter: unknown; checksumMatches: boolean };
  downloads: TransferFigures[];
  range?: {
    requests: number;
    bytesEach: number;
    allCorrect: boolean;
    status: number[];
    latencyMs: ReturnType<typeof summarize>;
    suffixOk: boolean;
  };
  note?: string;
}

const CHUNK = 1024 * 1024;

/** The benchmark body: chunk i is one random 1 MiB block with i written into its first 8 bytes. */
class BodyPattern {
  readonly block = randomBytes(CHUNK);

  constructor(readonly size: number) {}

  chunk(i: number): Buffer {
    const len = Math.min(CHUNK, this.size - i * CHUNK);
    const buf = Buffer.allocUnsafe(len);
    this.block.copy(buf, 0, 0, len);
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(i));
    head.copy(buf, 0, 0, Math.min(8, len));
    return buf;
  }

  stream(): Readable {
    const chunks = Math.ceil(this.size / CHUNK);
    const chunk = (i: number) => this.chunk(i);
    return Readable.from(
      (function* () {
        for (let i = 0; i < chunks; i++) yield chunk(i);
      })(),
    );
  }

  /** The expected bytes start..end (inclusive). */
  slice(start: number, end: number): Buffer {
    const parts: Buffer[] = [];
    for (let i = Math.floor(start / CHUNK); i <= Math.floor(end / CHUNK); i++) {
      const c = this.chunk(i);
      const from = Math.max(start - i * CHUNK, 0);
      const to = Math.min(end - i * CHUNK + 1, c.length);
      parts.push(c.subarray(from, to));
    }
    return Buffer.concat(parts);
  }
}

interface CpuMark {
  server: number;
  client: NodeJS.CpuUsage;
}

function cpuMark(pid: number): CpuMark {
  return { server: cpuSeconds(pid), client: process.cpuUsage() };
}

function figures(r: TransferResult, sampler: RssSampler, pid: number, cpu: CpuMark): TransferFigures {
  const client = process.cpuUsage(cpu.client);
  return {
    http: r.status,
    bytes: r.bytes,
    seconds: round(r.seconds, 3),
    MBps: round(r.bytes / 1e6 / r.seconds, 1),
    MiBps: round(r.bytes / 1048576 / r.seconds, 1),
    serverPeakRssKb: sampler.peakKb,
    serverHwmKbAfter: statusKb(pid, 'VmHWM'),
    clientPeakRssKb: sampler.clientPeakKb,
    serverCpuSeconds: round(cpuSeconds(pid) - cpu.server, 2),
    clientCpuSeconds: round((client.user + client.system) / 1e6, 2),
  };
}

export async function runDataBench(o: DataBenchOptions): Promise<DataBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-bench-data-'));
  const size = o.sizeMiB * 1024 * 1024;
  const pattern = new BodyPattern(size);
  const account = { id: '', password: 'bench-data-password' };
  {
    // A normal (non-admin) account, made through the account service as `imageshare account create` does.
    const config = loadConfig({ env: {}, file: '', overrides: { dataDir } });
    const { db, services } = await openServices(config);
    try {
      const created = await services.accounts.create({ name: 'bench-data', password: account.password });
      account.id = created.account.id;
    } finally {
      await db.close();
    }
  }
  // One process, started with the node options a cluster worker gets (server.workers defaults to one per
  // core): its figures are a serving process's as shipped.
  const server = await startServerProcess({
    dataDir,
    env: o.serverEnv,
    nodeArgs: workerExecArgv([], process.env.NODE_OPTIONS),
  });
  const pid = server.pid;
  const result: DataBenchResult = {
    store: o.storeLabel ?? 'SQLite + local blob folder',
    sizeBytes: size,
    chunkBytes: CHUNK,
    imageId: '',
    serverRssKb: { idle: 0, hwmBeforeUpload: 0, hwmAfterUpload: 0, hwmAfterDownloads: 0 },
    downloads: [],
  };
  try {
    const token = await login(server.url, account);
    const created = await call(server.url, 'POST', '/v2/images', {
      token,
      json: { name: 'bench-1g', disk_format: 'raw', container_format: 'bare', visibility: 'private' },
    });
    if (created.status !== 201) {
      result.note = `POST /v2/images answered ${created.status}: the Glance image routes are not available yet`;
      o.log(`[data] ${result.note}`);
      return result;
    }
    const imageId = (created.body as { id: string }).id;
    result.imageId = imageId;
    const filePath = `/v2/images/${imageId}/file`;
    result.serverRssKb.idle = statusKb(pid, 'VmRSS');
    result.serverRssKb.hwmBeforeUpload = statusKb(pid, 'VmHWM');
    o.log(
      `[data] server idle RSS ${mb(result.serverRssKb.idle)} MiB, VmHWM ${mb(result.serverRssKb.hwmBeforeUpload)} MiB; ` +
        `uploading ${o.sizeMiB} MiB to ${imageId}`,
    );

    // ---- upload
    let cpu = cpuMark(pid);
    let sampler = new RssSampler(pid).start();
    const up = await streamUpload(server.url, filePath, token, pattern.stream());
    sampler.stop();
    if (up.status !== 204 && up.status !== 200 && up.status !== 201) {
      throw new Error(`upload answered ${up.status}: ${up.text}`);
    }
    result.serverRssKb.hwmAfterUpload = statusKb(pid, 'VmHWM');
    const info = (await callOk(server.url, 'GET', `/v2/images/${imageId}`, { token })).body as Record<
      string,
      unknown
    >;
    result.upload = {
      ...figures(up, sampler, pid, cpu),
      statusAfter: info.status,
      sizeAfter: info.size,
      checksumMatches: info.checksum === up.md5 && info.os_hash_value === up.sha512 && info.size === size,
    };
    o.log(
      `[data] upload ${up.status}: ${result.upload.MBps} MB/s (${result.upload.seconds}s), server peak RSS ` +
        `${mb(sampler.peakKb)} MiB, VmHWM ${mb(result.serverRssKb.hwmAfterUpload)} MiB, client peak ` +
        `${mb(sampler.clientPeakKb)} MiB; CPU s server ${result.upload.serverCpuSeconds} client ` +
        `${result.upload.clientCpuSeconds}; stored checksums match: ${result.upload.checksumMatches}`,
    );

    // ---- downloads
    for (let i = 0; i < o.downloads; i++) {
      cpu = cpuMark(pid);
      sampler = new RssSampler(pid).start();
      const down = await streamDownload(server.url, filePath, token);
      sampler.stop();
      const f = {
        ...figures(down, sampler, pid, cpu),
        hashesMatch: down.md5 === up.md5 && down.sha512 === up.sha512,
      };
      result.downloads.push(f);
      o.log(
        `[data] download #${i + 1} ${down.status}: ${f.MBps} MB/s (${f.seconds}s), server peak RSS ` +
          `${mb(f.serverPeakRssKb)} MiB; CPU s server ${f.serverCpuSeconds} client ${f.clientCpuSeconds}; ` +
          `MD5+SHA-512 match the upload: ${f.hashesMatch}`,
      );
    }
    result.serverRssKb.hwmAfterDownloads = statusKb(pid, 'VmHWM');

    // ---- ranges: random offsets, each checked against the pattern; then one suffix range
    const times: number[] = [];
    const statuses = new Set<number>();
    let allCorrect = true;
    for (let i = 0; i < o.ranges; i++) {
      const start = Math.floor(Math.random() * (size - o.rangeBytes));
      const end = start + o.rangeBytes - 1;
      const t0 = performance.now();
      const r = await streamDownload(
        server.url,
        filePath,
        token,
        { range: `bytes=${start}-${end}` },
        { keep: true },
      );
      times.push(performance.now() - t0);
      statuses.add(r.status);
      const ok =
        r.status === 206 &&
        r.headers['content-range'] === `bytes ${start}-${end}/${size}` &&
        r.body !== undefined &&
        r.body.equals(pattern.slice(start, end));
      allCorrect &&= ok;
    }
    const suffix = await streamDownload(server.url, filePath, token, { range: 'bytes=-100' }, { keep: true });
    const suffixOk =
      suffix.status === 206 && suffix.body?.equals(pattern.slice(size - 100, size - 1)) === true;
    result.range = {
      requests: o.ranges,
      bytesEach: o.rangeBytes,
      allCorrect,
      status: [...statuses],
      latencyMs: summarize(times),
      suffixOk,
    };
    o.log(
      `[data] ${o.ranges} x ${o.rangeBytes / 1024} KiB ranges: p50 ${result.range.latencyMs.p50} ms, ` +
        `p99 ${result.range.latencyMs.p99} ms, all correct: ${allCorrect}, suffix range ok: ${suffixOk}`,
    );
    return result;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function mb(kb: number): number {
  return round(kb / 1024, 1);
}
