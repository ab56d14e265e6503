// Prometheus metrics at /metrics: absent without metrics.token; with it, refused without the right bearer
// token (401) and served with it. A scrape counts requests by route pattern and status (never the raw URL),
// refused logins, shares and uploads, image data bytes in and out, and shows the database pool; on SQLite and
// PostgreSQL. The registry is the process's (it can be summed over cluster workers), so the checks compare
// figures before and after.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { forEachDatabase } from '../helpers/databases.js';
import { createImage, download, uploadData } from '../helpers/glance.js';
import { passwordAuthBody, startTestServer, type TestServer } from '../helpers/server.js';

const TOKEN = randomBytes(24).toString('base64url');

type Sample = { name: string; labels: Record<string, string>; value: number };

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

forEachDatabase((target) => {
  describe(`metrics on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ target, overrides: { 'metrics.token': TOKEN } });
    });
    after(() => t?.close());

    const scrape = async () => {
      const res = await t.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return { text: res.text, samples: parse(res.text) };
    };

    it('refuses a scrape without the right token', async () => {
      for (const authorization of [undefined, 'Bearer ', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
        const res = await t.request('GET', '/metrics', { headers: { authorization } });
        assert.equal(res.status, 401, String(authorization));
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.doesNotMatch(res.text, /imageshare_/);
      }
    });

    it('counts requests per route pattern and status, logins refused, shares, uploads and bytes', async () => {
      const owner = await t.createAccount();
      const receiver = await t.createAccount();
      const token = await t.token(owner);
      const before = (await scrape()).samples;

      const image = await createImage(t, token, { name: 'metrics' });
      const data = randomBytes(3000);
      assert.equal((await uploadData(t, token, image.id, data)).status, 204);
      const shared = await t.request('POST', `/v2/images/${image.id}/members`, {
        token,
        body: { member: receiver.id },
      });
      assert.equal(shared.status, 200);
      assert.ok((await download(t, token, image.id)).data.equals(data));
      for (let i = 0; i < 3; i++) {
        assert.equal((await t.request('GET', `/v2/images/${image.id}`, { token })).status, 200);
      }
      const missing = `img-${randomBytes(4).toString('hex')}`;
      assert.equal((await t.request('GET', `/v2/images/${missing}`, { token })).status, 404);
      const refused = await t.request('POST', '/identity/v3/auth/tokens', {
        body: passwordAuthBody({ id: owner.id, password: 'not-the-Password-1' }),
      });
      assert.equal(refused.status, 401);
      const consoleRefused = await t.request('POST', '/console/api/v1/session', {
        body: { login: owner.id, password: 'not-the-Password-2' },
      });
      assert.equal(consoleRefused.status, 401);

      const { text, samples: now } = await scrape();
      const delta = (name: string, labels: Record<string, string> = {}) =>
        value(now, name, labels) - value(before, name, labels);
      const count = 'imageshare_http_request_duration_seconds_count';
      assert.equal(delta(count, { method: 'GET', route: '/v2/images/:id', status: '200' }), 3);
      assert.equal(delta(count, { method: 'GET', route: '/v2/images/:id', status: '404' }), 1);
      assert.equal(delta(count, { method: 'PUT', route: '/v2/images/:id/file', status: '204' }), 1);
      // Route patterns only: no image ID (an unbounded label) reaches the metrics.
      assert.ok(!text.includes(image.id) && !text.includes(missing), 'a raw URL reached the metrics');
      assert.equal(delta('imageshare_login_failures_total', { surface: 'keystone', status: '401' }), 1);
      assert.equal(delta('imageshare_login_failures_total', { surface: 'console', status: '401' }), 1);
      assert.equal(delta('imageshare_image_events_total', { action: 'share', surface: 'openstack' }), 1);
      assert.equal(delta('imageshare_image_events_total', { action: 'upload' }), 1);
      assert.equal(delta('imageshare_image_data_bytes_total', { direction: 'in' }), data.length);
      assert.equal(delta('imageshare_image_data_bytes_total', { direction: 'out' }), data.length);
      assert.ok(
        delta('imageshare_http_response_bytes_total', { route: '/v2/images/:id/file' }) >= data.length,
      );
      assert.ok(value(now, 'imageshare_db_pool_connections', { state: 'total' }) >= 1);
      assert.ok(value(now, 'imageshare_process_resident_memory_bytes') > 0);
    });
  });
});

describe('metrics without a token', () => {
  const target = {
    dialect: 'sqlite' as const,
    skipReason: null,
    create: () => Promise.reject(new Error('unused')),
  };
  it('are not served at all', async () => {
    const t = await startTestServer({ target });
    try {
      const res = await t.request('GET', '/metrics', {
        headers: { authorization: 'Bearer anything-at-all-here' },
      });
      assert.equal(res.status, 404);
      assert.doesNotMatch(res.text, /imageshare_/);
    } finally {
      await t.close();
    }
  });
});
