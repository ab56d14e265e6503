// The built console served at /console/ and the OpenAPI document of its API, over real HTTP: hashed assets
// cached for a year, index.html revalidated, the single-page fallback, the 503 page of a server-only
// checkout, browsers at / redirected while API clients keep version discovery; the document validates as
// OpenAPI 3 and lists every route of the API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { databaseTargets } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { API } from '../helpers/console.js';

/** The parts of an OpenAPI 3 document these tests read. */
interface OpenApiOperation {
  requestBody?: { content: Record<string, { schema: { required?: string[] } } | undefined> };
  responses: Record<
    string,
    { content?: Record<string, { schema: { properties?: Record<string, unknown> } } | undefined> } | undefined
  >;
}
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation | undefined> | undefined>;
}

// Serving static files and the document do not depend on the database: SQLite only.
const sqlite = databaseTargets.find((d) => d.dialect === 'sqlite');
if (!sqlite) throw new Error('no SQLite target');

const INDEX =
  '<!doctype html><html><head><script type="module" src="/console/assets/app-3f9a1c.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("console app");';

/** Plain fetch without following redirects. */
async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('the built console at /console/', () => {
  let t: TestServer;
  let dist: string;

  before(async () => {
    dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'app-3f9a1c.js'), SCRIPT);
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    t = await startTestServer({ target: sqlite, overrides: { 'console.staticDir': dist } });
  });
  after(async () => {
    await t?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html uncached at /console/ and for any page of the app', async () => {
    for (const path of [
      '/console/',
      '/console/images',
      '/console/images/shared/img-abcdefgh',
      '/console/index.html',
    ]) {
      const res = await get(`${t.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.text, INDEX, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
    }
    const bare = await get(`${t.url}/console`);
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), '/console/');
  });

  it('serves hashed assets with a year-long immutable cache, and a missing asset is a 404', async () => {
    const asset = await get(`${t.url}/console/assets/app-3f9a1c.js`);
    assert.equal(asset.status, 200);
    assert.equal(asset.text, SCRIPT);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.ok(asset.headers.get('content-security-policy')?.includes("script-src 'self'"));
    const icon = await get(`${t.url}/console/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
    const missing = await get(`${t.url}/console/assets/app-000000.js`);
    assert.equal(missing.status, 404);
    assert.notEqual(missing.text, INDEX);
    const escape = await get(`${t.url}/console/assets/..%2f..%2fpackage.json`);
    assert.notEqual(escape.status, 200);
  });

  it('keeps the API out of the fallback: an unknown API path is a JSON 404', async () => {
    const res = await get(`${t.url}${API}/nothing-here`);
    assert.equal(res.status, 404);
    assert.equal((JSON.parse(res.text) as { error: { code: string } }).error.code, 'NotFound');
  });

  it('redirects a browser at / to the console; API clients keep version discovery', async () => {
    const browser = await get(`${t.url}/`, {
      accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), '/console/');
    for (const accept of ['application/json', '*/*', undefined, 'text/html;q=0.5, application/json']) {
      const res = await get(`${t.url}/`, accept ? { accept } : {});
      assert.equal(res.status, 300, `Accept: ${accept}`);
      assert.ok((JSON.parse(res.text) as { versions?: unknown }).versions, 'Glance version discovery');
    }
  });
});

describe('a server-only checkout (no built console)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      target: sqlite,
      overrides: { 'console.staticDir': join(tmpdir(), 'no-console-build-here') },
    });
  });
  after(() => t?.close());

  it('answers /console/ with a 503 page saying the console was not built; the API still works', async () => {
    for (const path of ['/console/', '/console/images']) {
      const res = await get(`${t.url}${path}`);
      assert.equal(res.status, 503, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(res.text, /console was not built/i);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    }
    const doc = await get(`${t.url}${API}/openapi.json`);
    assert.equal(doc.status, 200);
  });
});

describe('the OpenAPI document of the console API', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ target: sqlite });
  });
  after(() => t?.close());

  it('validates as OpenAPI 3 and lists every route of the API with its schemas', async () => {
    const res = await get(`${t.url}${API}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = JSON.parse(res.text) as OpenApiDoc;
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.match(doc.openapi, /^3\./);

    // The contract's routes: each is served (a route exists) and documented, and nothing else is documented.
    const contract = [
      'POST /session',
      'GET /session',
      'DELETE /session',
      'GET /account',
      'PUT /account/password',
      'GET /account/api-keys',
      'POST /account/api-keys',
      'POST /account/api-keys/{secretId}/enable',
      'POST /account/api-keys/{secretId}/disable',
      'DELETE /account/api-keys/{secretId}',
      'GET /regions',
      'GET /images',
      'POST /images',
      'PUT /images/{id}/file',
      'GET /images/{id}',
      'PATCH /images/{id}',
      'DELETE /images/{id}',
      'POST /images/{id}/copy',
      'GET /images/{id}/shares',
      'POST /images/{id}/shares',
      'DELETE /images/{id}/shares/{accountId}',
      'DELETE /images/{id}/shares',
      // Issue 12: the pre-flight, a share's terms, the image's consent, the owner's default.
      'POST /images/{id}/shares/check',
      'PUT /images/{id}/shares/{accountId}',
      'PUT /images/{id}/consent',
      'GET /sharing-defaults',
      'PUT /sharing-defaults',
      'PUT /shared/{imageId}/status',
      'DELETE /shared/{imageId}',
      'GET /instances',
      'POST /instances',
      'DELETE /instances/{id}',
      'GET /history',
      // Issue 12 guardrails: my launch policy and its audit records.
      'GET /launch-policy',
      'PUT /launch-policy',
      'GET /launch-audit',
      // Issue 12: the inbox (the bell) and webhooks.
      'GET /inbox',
      'GET /inbox/unread',
      'PUT /inbox/{eventId}',
      'POST /inbox/read-all',
      'GET /webhooks',
      'POST /webhooks',
      'DELETE /webhooks/{webhookId}',
      'GET /webhooks/{webhookId}/deliveries',
      // Issue 12: account groups.
      'GET /groups',
      'POST /groups',
      'GET /groups/{groupId}',
      'PATCH /groups/{groupId}',
      'DELETE /groups/{groupId}',
      'POST /groups/{groupId}/members',
      'DELETE /groups/{groupId}/members/{accountId}',
      // Issue 12: the lifecycle (deprecation, disabling, the recycle bin).
      'POST /images/{id}/deprecate',
      'POST /images/{id}/undeprecate',
      'POST /images/{id}/disable',
      'POST /images/{id}/enable',
      'GET /recycle-bin',
      'POST /recycle-bin/{id}/restore',
    ].map((r) => r.replace(' /', ` ${API}/`));
    const documented: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops ?? {})) documented.push(`${method.toUpperCase()} ${path}`);
    }
    assert.deepEqual(documented.sort(), [...contract].sort());
    for (const route of contract) {
      const [method, url] = route.split(' ') as [string, string];
      const served = t.server.app.hasRoute({
        method: method,
        url: url.replace(/\{(\w+)\}/g, ':$1'),
      });
      assert.ok(served, `${route} is served`);
      for (const [, op] of Object.entries(doc.paths[url]?.[method.toLowerCase()]?.responses ?? {})) {
        assert.ok(op, `${route} has responses`);
      }
    }

    const share = doc.paths[`${API}/images/{id}/shares`]?.post;
    assert.deepEqual(share?.requestBody?.content['application/json']?.schema.required, ['accountIds']);
    assert.ok(share?.responses['200']?.content?.['application/json']?.schema.properties?.results);
    assert.ok(doc.paths[`${API}/session`]?.post?.responses['200']);
  });
});
