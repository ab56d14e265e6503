// /metrics in a cluster (`server.workers` 2): the balancer inside Node's cluster hands each connection to the
// next worker, so requests on fresh connections are split between the workers; a scrape, whichever worker
// gets it, must count all of them (the primary sums the workers' registries). Without the summing a scrape
// shows one worker's share (about half), and the exact count below fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnServer } from '../helpers/server.js';

const TOKEN = randomBytes(24).toString('base64url');
const REQUESTS = 24;

/** One request on its own connection (no keep-alive), so that the cluster picks a worker for each. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of the request-count sample for GET /versions answered 200 (0 when absent). */
function versionsCount(text: string): number {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('imageshare_http_request_duration_seconds_count{') &&
        l.includes('method="GET"') &&
        l.includes('route="/versions"') &&
        l.includes('status="200"'),
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('metrics in a cluster of workers', () => {
  it('a scrape counts the requests of every worker, whichever worker answers it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-metrics-cluster-'));
    const server = await spawnServer(['--data-dir', dataDir, '--workers', '2'], {
      IMAGESHARE_METRICS__TOKEN: TOKEN,
    });
    try {
      for (let i = 0; i < REQUESTS; i++) {
        const res = await get(`${server.url}/versions`);
        assert.equal(res.status, 200);
      }
      // Several scrapes, on fresh connections, so that each worker answers at least one of them.
      for (let i = 0; i < 4; i++) {
        const scrape = await get(`${server.url}/metrics`, { authorization: `Bearer ${TOKEN}` });
        assert.equal(scrape.status, 200, scrape.body);
        assert.equal(versionsCount(scrape.body), REQUESTS, 'every /versions request, from both workers');
      }
      const refused = await get(`${server.url}/metrics`, { authorization: 'Bearer wrong' });
      assert.equal(refused.status, 401);
    } finally {
      assert.equal(await server.stop(), 0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
