// `npm run bench -- describe`: Tencent API 3.0 DescribeImages (Limit 20), every request TC3-HMAC-SHA256 signed
// by the client, from a Node client with many keep-alive connections, against the compiled server on its
// defaults (server.workers: one per core). The owner has 20 images; every answer is checked (HTTP 200, 20
// images, no Error). Signatures are made per second (one timestamp per second, as an SDK retrying would send);
// the server's replay check binds each signature to its call, so the same call again is allowed.
import { Agent, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { openServices } from '../src/main.js';
import { sha256Hex, tc3Sign, utcDate } from '../src/http/tencent/signature/tc3.js';
import { startServerProcess } from './lib/server-process.js';

export interface DescribeBenchResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  images: number;
  workers: string;
  loadBefore: string;
  loadAfter: string;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

export async function runDescribeBench(options: {
  connections: number;
  durationSeconds: number;
  log: (line: string) => void;
}): Promise<DescribeBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-describe-'));
  try {
    const config = loadConfig({ file: '', env: {}, overrides: { dataDir } });
    const { db, services } = await openServices(config);
    let key: { secretId: string; secretKey: string };
    let ownerId: string;
    try {
      const owner = await services.accounts.create({ name: 'describe-owner', password: 'owner-pass' });
      ownerId = owner.account.id;
      const created = await services.apiKeys.create(ownerId);
      key = { secretId: created.secretId, secretKey: created.secretKey };
    } finally {
      await db.close();
    }
    const server = await startServerProcess({
      dataDir,
      workers: process.env.BENCH_DESCRIBE_WORKERS ? Number(process.env.BENCH_DESCRIBE_WORKERS) : 0,
      ...(process.env.BENCH_CPU_PROF
        ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] }
        : {}),
    });
    try {
      const url = new URL(server.url);
      // 20 images through the Glance API (the owner's token), so the list has a full page.
      const login = await fetch(`${server.url}/identity/v3/auth/tokens?nocatalog`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: { methods: ['password'], password: { user: { id: ownerId, password: 'owner-pass' } } },
          },
        }),
      });
      const token = login.headers.get('x-subject-token') ?? '';
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${server.url}/v2/images`, {
          method: 'POST',
          headers: { 'x-auth-token': token, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `describe-${i}`, disk_format: 'raw', container_format: 'bare' }),
        });
        if (res.status !== 201) throw new Error(`image create: ${res.status} ${await res.text()}`);
      }

      const body = Buffer.from(JSON.stringify({ Limit: 20 }));
      const payloadHash = sha256Hex(body);
      let signedAt = 0;
      let headers: Record<string, string> = {};
      const signed = () => {
        const now = Math.floor(Date.now() / 1000);
        if (now !== signedAt) {
          signedAt = now;
          const date = utcDate(now);
          const signature = tc3Sign({
            secretKey: key.secretKey,
            method: 'POST',
            rawQuery: '',
            headers: [
              ['content-type', 'application/json'],
              ['host', url.hostname],
            ],
            payloadHash,
            timestamp: String(now),
            date,
            service: 'cvm',
          });
          headers = {
            'content-type': 'application/json',
            'content-length': String(body.length),
            'x-tc-action': 'DescribeImages',
            'x-tc-timestamp': String(now),
            'x-tc-version': '2017-03-12',
            'x-tc-region': 'ap-guangzhou',
            authorization: `TC3-HMAC-SHA256 Credential=${key.secretId}/${date}/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
          };
        }
        return headers;
      };

      const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
      const once = () =>
        new Promise<{ ok: boolean; ms: number }>((resolve) => {
          const t0 = performance.now();
          const req = request(
            { host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers: signed() },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => {
                const ms = performance.now() - t0;
                try {
                  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                    Response: { Error?: unknown; ImageSet?: unknown[] };
                  };
                  resolve({
                    ok:
                      res.statusCode === 200 &&
                      !parsed.Response.Error &&
                      parsed.Response.ImageSet?.length === 20,
                    ms,
                  });
                } catch {
                  resolve({ ok: false, ms });
                }
              });
            },
          );
          req.on('error', () => resolve({ ok: false, ms: performance.now() - t0 }));
          req.end(body);
        });

      const run = async (seconds: number, record: boolean) => {
        const latencies: number[] = [];
        let errors = 0;
        const end = performance.now() + seconds * 1000;
        await Promise.all(
          Array.from({ length: options.connections }, async () => {
            while (performance.now() < end) {
              const r = await once();
              if (!record) continue;
              latencies.push(r.ms);
              if (!r.ok) errors += 1;
            }
          }),
        );
        return { latencies, errors };
      };
      options.log(
        `[describe] warm-up 2 s, then ${options.durationSeconds} s at ${options.connections} connections`,
      );
      await run(2, false);
      const loadBefore = loadavg();
      const t0 = performance.now();
      const { latencies, errors } = await run(options.durationSeconds, true);
      const seconds = (performance.now() - t0) / 1000;
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const q = (p: number) =>
        Math.round((latencies[Math.floor((latencies.length - 1) * p)] ?? 0) * 100) / 100;
      const result: DescribeBenchResult = {
        connections: options.connections,
        seconds: Math.round(seconds * 10) / 10,
        requests: latencies.length,
        rps: Math.round(latencies.length / seconds),
        latencyMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) },
        errors,
        images: 20,
        workers: 'default (one per core)',
        loadBefore,
        loadAfter: loadavg(),
      };
      options.log(
        `[describe] ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, errors ${errors}`,
      );
      return result;
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
