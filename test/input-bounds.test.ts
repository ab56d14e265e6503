// Bad input is a 4xx in each surface's own envelope, never a 500 (a security review found several):
// too many list filters (SQLite: "Expression tree is too large"), integers out of range and NUL characters
// (PostgreSQL: "integer out of range", bigint syntax, "invalid byte sequence"), on Glance, Keystone and the
// Tencent APIs. Each refusal has a positive control next to it. Also: the Glance body readers use own
// properties only, so an inherited property never becomes an input.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createInput } from '../src/http/glance/images.routes.js';
import { MAX_IN_VALUES, MAX_MATCH_FILTERS, MAX_SORT_KEYS } from '../src/http/glance/list-query.js';
import { PATCH_V21 as PATCH_V21_MEDIA, translatePatch } from '../src/http/glance/patch.js';
import type { Image } from '../src/domain/types.js';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestAccount, type TestResponse, type TestServer } from './helpers/server.js';
import { PATCH_V21, body, createImage, type Json } from './helpers/glance.js';
import { createActiveImage, paramsRequest, tc3Request, type Key } from './helpers/tencent.js';

const JSON_ACCEPT = { accept: 'application/json' };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Glance's JSON error envelope with the given status, its message matching `message`. */
function assertGlanceError(res: TestResponse, status: number, message: RegExp): void {
  assert.equal(res.status, status, res.text.slice(0, 300));
  const b = body(res);
  assert.equal(b.code, `${status} ${status === 400 ? 'Bad Request' : String(b.title)}`);
  assert.match(String(b.message), message);
}

/** Keystone's envelope: {"error": {"code", "title", "message"}}. */
function assertKeystoneError(res: TestResponse, status: number, message?: RegExp): void {
  assert.equal(res.status, status, res.text.slice(0, 300));
  const error = body(res).error as Json;
  assert.equal(error.code, status);
  if (message) assert.match(String(error.message), message);
}

forEachDatabase((target) => {
  describe(`input bounds on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let alice: TestAccount;
    let bob: TestAccount;
    let token: string;
    let adminToken: string;
    let imageId: string;
    let key: Key;
    let activeId: string;

    const list = (query: string, tok = token) =>
      t.request('GET', `/v2/images?${query}`, { token: tok, headers: JSON_ACCEPT });
    const listNames = async (query: string) =>
      ((body(await list(query)).images as Json[]) ?? []).map((i) => i.name);
    const patch = (ops: unknown) =>
      t.request('PATCH', `/v2/images/${imageId}`, {
        token,
        headers: { ...JSON_ACCEPT, 'content-type': PATCH_V21 },
        body: JSON.stringify(ops),
      });

    before(async () => {
      t = await startTestServer({ target });
      alice = await t.createAccount();
      bob = await t.createAccount();
      token = await t.token(alice);
      adminToken = await t.token(t.admin);
      const image = await createImage(t, token, {
        name: 'bounded',
        visibility: 'shared',
        tags: ['t0'],
        p0: 'x',
        min_ram: 1,
        min_disk: 1,
      });
      imageId = image.id;
      key = await t.server.services.apiKeys.create(alice.id);
      activeId = await createActiveImage(
        t.server.services,
        {
          caller: { accountId: alice.id, isAdmin: false },
          region: t.config.regions[0] as string,
          surface: 'openstack',
        },
        'active-source',
      );
    });
    after(async () => t.close());

    describe('Glance list: filter counts', () => {
      it(`more than ${MAX_MATCH_FILTERS} tag filters is a 400 (1,100 used to be a SQLite 500)`, async () => {
        const tags = (n: number) => range(n).map((i) => `tag=t${i}`);
        assertGlanceError(await list(tags(1100).join('&')), 400, /Too many tag filters: at most 10/);
        assertGlanceError(await list(tags(MAX_MATCH_FILTERS + 1).join('&')), 400, /Too many tag filters/);
        // Positive control: the maximum is accepted (and t0..t9 match nothing: the image has only t0).
        assert.deepEqual(await listNames(tags(MAX_MATCH_FILTERS).join('&')), []);
        assert.deepEqual(await listNames('tag=t0'), ['bounded']);
      });

      it(`more than ${MAX_MATCH_FILTERS} extra-property filters is a 400`, async () => {
        const props = (n: number) => range(n).map((i) => `p${i}=x`);
        assertGlanceError(await list(props(1100).join('&')), 400, /Too many property filters: at most 10/);
        assertGlanceError(await list(props(MAX_MATCH_FILTERS + 1).join('&')), 400, /property filters/);
        assert.equal((await list(props(MAX_MATCH_FILTERS).join('&'))).status, 200);
        assert.deepEqual(await listNames('p0=x'), ['bounded']);
      });

      it('tags and properties count together', async () => {
        const q = (nt: number, np: number) =>
          [...range(nt).map((i) => `tag=t${i}`), ...range(np).map((i) => `p${i}=x`)].join('&');
        assertGlanceError(await list(q(6, 5)), 400, /Too many tag and property filters/);
        assert.equal((await list(q(5, 5))).status, 200);
        assert.deepEqual(await listNames(q(1, 1)), ['bounded']);
      });

      it(`an in: list takes at most ${MAX_IN_VALUES} values`, async () => {
        const names = (n: number) => range(n).map((i) => `n${i}`);
        assertGlanceError(await list(`name=in:${names(1100).join(',')}`), 400, /at most 100 values/);
        assertGlanceError(await list(`id=in:${names(MAX_IN_VALUES + 1).join(',')}`), 400, /at most 100/);
        assert.deepEqual(await listNames(`name=in:${[...names(MAX_IN_VALUES - 1), 'bounded'].join(',')}`), [
          'bounded',
        ]);
      });

      it('sort keys and time filters are bounded too', async () => {
        const keys = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at'];
        const many = range(MAX_SORT_KEYS + 1).map(() => 'sort_key=name');
        assertGlanceError(await list(many.join('&')), 400, /Too many sort keys/);
        assertGlanceError(
          await list(
            `sort=${range(MAX_SORT_KEYS + 1)
              .map(() => 'name:asc')
              .join(',')}`,
          ),
          400,
          /Too many sort keys/,
        );
        const allKeys = [...keys, 'updated_at'].map((k) => `sort_key=${k}`).join('&');
        assert.equal((await list(`${allKeys}&marker=${imageId}`)).status, 200);
        const times = (n: number) => range(n).map(() => 'created_at=gt:2020-01-01T00:00:00Z');
        assertGlanceError(await list(times(21).join('&')), 400, /Too many created_at filters/);
        assert.deepEqual(
          await listNames(
            'created_at=gt:2020-01-01T00:00:00Z&created_at=lt:2999-01-01T00:00:00Z&name=bounded',
          ),
          ['bounded'],
        );
      });
    });

    describe('Glance list: integer bounds', () => {
      for (const name of ['min_ram', 'min_disk']) {
        it(`${name} is 0 to 2^31-1`, async () => {
          assertGlanceError(
            await list(`${name}=99999999999`),
            400,
            /must be an integer from 0 to 2147483647/,
          );
          assertGlanceError(await list(`${name}=2147483648`), 400, /2147483647/);
          assertGlanceError(await list(`${name}=-1`), 400, /must be positive/);
          assert.deepEqual(await listNames(`${name}=2147483647`), []);
          assert.deepEqual(await listNames(`${name}=1`), ['bounded']);
        });
      }
      for (const name of ['size', 'size_min', 'size_max']) {
        it(`${name} is 0 to Number.MAX_SAFE_INTEGER`, async () => {
          assertGlanceError(
            await list(`${name}=99999999999999999999999`),
            400,
            /must be an integer from 0 to 9007199254740991/,
          );
          assertGlanceError(await list(`${name}=9007199254740992`), 400, /9007199254740991/);
          assert.equal((await list(`${name}=9007199254740991`)).status, 200);
        });
      }
      it('a huge limit is still lowered to the maximum, not refused', async () => {
        assert.equal((await list('limit=99999999999999999999999')).status, 200);
      });
    });

    describe('Glance: NUL characters are a 400', () => {
      for (const query of [
        'tag=%00x',
        'name=%00',
        'name=in:a,%00',
        'id=%00',
        'owner=%00',
        'checksum=%00',
        'os_hash_value=%00',
        'description=%00',
        'status=%00',
        'p0=%00',
        '%00=x',
        'marker=%00',
      ]) {
        it(`GET /v2/images?${query}`, async () => {
          assertGlanceError(await list(query), 400, /must not contain NUL characters/);
        });
      }
      it('positive control: the same filters without NUL', async () => {
        assert.deepEqual(await listNames('name=bounded&tag=t0&p0=x'), ['bounded']);
        assert.deepEqual(await listNames(`owner=${alice.id}&name=bounded`), ['bounded']);
      });

      for (const [label, fields] of [
        ['name', { name: 'a\u0000b' }],
        ['description', { description: 'a\u0000b' }],
        ['a property value', { foo: 'a\u0000b' }],
        ['a property key', { 'f\u0000o': 'a' }],
        ['a tag', { tags: ['ok', 'a\u0000'] }],
      ] as const) {
        it(`POST /v2/images with NUL in ${label}`, async () => {
          const res = await t.request('POST', '/v2/images', { token, headers: JSON_ACCEPT, body: fields });
          assertGlanceError(res, 400, /must not contain NUL characters/);
        });
      }
      it('positive control: POST /v2/images with all of them', async () => {
        const image = await createImage(t, token, {
          name: 'a b',
          description: 'd',
          foo: 'bar',
          tags: ['ok'],
        });
        assert.equal(image.name, 'a b');
        assert.equal(image.foo, 'bar');
      });

      for (const [label, ops] of [
        ['name', [{ op: 'replace', path: '/name', value: 'a\u0000' }]],
        ['description', [{ op: 'add', path: '/description', value: 'a\u0000' }]],
        ['a property value', [{ op: 'add', path: '/foo', value: 'a\u0000' }]],
        ['a property key', [{ op: 'add', path: '/f\u0000', value: 'a' }]],
        ['a removed property key', [{ op: 'remove', path: '/f\u0000' }]],
        ['tags', [{ op: 'replace', path: '/tags', value: ['a\u0000'] }]],
      ] as const) {
        it(`PATCH with NUL in ${label}`, async () => {
          assertGlanceError(await patch(ops), 400, /NUL characters/);
        });
      }
      it('positive control: PATCH', async () => {
        const res = await patch([
          { op: 'replace', path: '/name', value: 'bounded' },
          { op: 'add', path: '/foo', value: 'bar' },
        ]);
        assert.equal(res.status, 200, res.text);
        assert.equal(body(res).foo, 'bar');
      });

      it('path segments (image ID, tag, member ID) with NUL', async () => {
        const id = imageId;
        for (const [method, path] of [
          ['GET', '/v2/images/a%00'],
          ['DELETE', '/v2/images/a%00'],
          ['GET', '/v2/images/a%00/members'],
          ['PUT', `/v2/images/${id}/tags/a%00`],
          ['DELETE', `/v2/images/${id}/tags/a%00`],
          ['GET', `/v2/images/${id}/members/a%00`],
          ['DELETE', `/v2/images/${id}/members/a%00`],
        ] as const) {
          const res = await t.request(method, path, { token, headers: JSON_ACCEPT });
          assertGlanceError(res, 400, /must not contain NUL characters/);
        }
        const put = await t.request('PUT', `/v2/images/${id}/members/a%00`, {
          token,
          headers: JSON_ACCEPT,
          body: { status: 'accepted' },
        });
        assertGlanceError(put, 400, /must not contain NUL characters/);
        // Positive control.
        assert.equal((await t.request('PUT', `/v2/images/${id}/tags/fine`, { token })).status, 204);
        assert.equal((await t.request('DELETE', `/v2/images/${id}/tags/fine`, { token })).status, 204);
        assert.equal((await t.request('GET', `/v2/images/${id}`, { token })).status, 200);
      });

      it('a member ID with NUL in the body', async () => {
        const res = await t.request('POST', `/v2/images/${imageId}/members`, {
          token,
          headers: JSON_ACCEPT,
          body: { member: 'a\u0000' },
        });
        assertGlanceError(res, 400, /Member ID must not contain NUL characters/);
        const ok = await t.request('POST', `/v2/images/${imageId}/members`, {
          token,
          body: { member: bob.id },
        });
        assert.equal(ok.status, 200, ok.text);
        const got = await t.request('GET', `/v2/images/${imageId}/members/${bob.id}`, { token });
        assert.equal(got.status, 200, got.text);
      });
    });

    describe('Keystone: NUL characters in a login', () => {
      const login = (user: Json, scope?: Json) =>
        t.request('POST', '/identity/v3/auth/tokens', {
          body: {
            auth: { identity: { methods: ['password'], password: { user } }, ...(scope ? { scope } : {}) },
          },
        });

      it('a user name with NUL is a 400 (unauthenticated; used to be a PostgreSQL 500)', async () => {
        const res = await login({ name: 'a\u0000', domain: { id: 'default' }, password: 'whatever' });
        assertKeystoneError(res, 400, /auth\.identity\.password\.user\.name.*NUL/);
      });

      it('user ID, domain and project references with NUL are 400s', async () => {
        const good = { name: alice.name, domain: { id: 'default' }, password: alice.password };
        assertKeystoneError(await login({ id: 'a\u0000', password: 'x' }), 400, /user\.id/);
        assertKeystoneError(
          await login({ ...good, domain: { name: 'Default\u0000' } }),
          400,
          /user\.domain\.name/,
        );
        assertKeystoneError(
          await login(good, { project: { name: 'a\u0000', domain: { id: 'default' } } }),
          400,
          /scope\.project\.name/,
        );
        assertKeystoneError(await login(good, { project: { id: 'a\u0000' } }), 400, /scope\.project\.id/);
      });

      it('a password with NUL is just a wrong password (the uniform 401)', async () => {
        const res = await login({ name: alice.name, domain: { id: 'default' }, password: 'x\u0000' });
        assertKeystoneError(res, 401, /requires authentication/);
      });

      it('positive control: the same login without NUL', async () => {
        const res = await login(
          { name: alice.name, domain: { id: 'default' }, password: alice.password },
          { project: { name: alice.name, domain: { id: 'default' } } },
        );
        assert.equal(res.status, 201, res.text);
      });

      it('GET /v3/projects?name= with NUL (admin) is a 400', async () => {
        const res = await t.request('GET', '/identity/v3/projects?name=a%00', {
          headers: { 'x-auth-token': adminToken },
        });
        assertKeystoneError(res, 400, /'name'.*NUL/);
        const ok = await t.request('GET', `/identity/v3/projects?name=${alice.name}`, {
          headers: { 'x-auth-token': adminToken },
        });
        assert.equal(ok.status, 200, ok.text);
        assert.equal((body(ok).projects as Json[]).length, 1);
      });
    });

    describe('Tencent: NUL characters in parameters', () => {
      const tc = (action: string, params: Json) =>
        tc3Request(t.url, key, { action, body: JSON.stringify(params) });
      const errorCode = (res: Awaited<ReturnType<typeof tc>>) => res.body.Response.Error?.Code;

      for (const [action, params, path] of [
        ['DescribeImages', { Filters: [{ Name: 'image-name', Values: ['a\u0000'] }] }, 'Filters.0.Values.0'],
        ['ModifyImageAttribute', { ImageId: 'img-00000000', ImageName: 'a\u0000' }, 'ImageName'],
        [
          'ModifyImageAttribute',
          { ImageId: 'img-00000000', ImageDescription: 'a\u0000' },
          'ImageDescription',
        ],
        ['RunInstances', { ImageId: 'img-00000000', InstanceName: 'a\u0000' }, 'InstanceName'],
        ['CreateImage', { InstanceId: 'ins-00000000', ImageName: 'a\u0000' }, 'ImageName'],
      ] as const) {
        it(`${action} with NUL in ${path}: InvalidParameterValue`, async () => {
          // The NUL check follows the parameters' validation and precedes the action: any well-formed ID.
          const res = await tc(action, params);
          assert.equal(res.status, 200);
          assert.equal(errorCode(res), 'InvalidParameterValue', JSON.stringify(res.body));
          assert.match(res.body.Response.Error?.Message ?? '', new RegExp(`${path}.*NUL`));
        });
      }

      it('positive controls: the same actions without NUL', async () => {
        const described = await tc('DescribeImages', {
          Filters: [{ Name: 'image-name', Values: ['active-source'] }],
        });
        assert.equal(errorCode(described), undefined, JSON.stringify(described.body));
        assert.equal(described.body.Response.TotalCount, 1);
        const run = await tc('RunInstances', { ImageId: activeId, InstanceName: 'fine' });
        assert.equal(errorCode(run), undefined, JSON.stringify(run.body));
        const renamed = await tc('ModifyImageAttribute', { ImageId: activeId, ImageDescription: 'fine' });
        assert.equal(errorCode(renamed), undefined, JSON.stringify(renamed.body));
      });

      it('v1 Signature (form) parameters too', async () => {
        const base = { Action: 'DescribeImages', Version: '2017-03-12', Region: 'ap-guangzhou' };
        const bad = await paramsRequest(t.url, key, {
          ...base,
          'Filters.0.Name': 'image-name',
          'Filters.0.Values.0': 'a\u0000',
        });
        assert.equal(bad.body.Response.Error?.Code, 'InvalidParameterValue');
        const good = await paramsRequest(t.url, key, {
          ...base,
          'Filters.0.Name': 'image-name',
          'Filters.0.Values.0': 'active',
        });
        assert.equal(good.body.Response.Error, undefined, JSON.stringify(good.body));
      });

      it('legacy ModifyImageAttributes with NUL in imageName', async () => {
        const legacy = (imageName: string) =>
          paramsRequest(
            t.url,
            key,
            { Action: 'ModifyImageAttributes', imageId: activeId, imageName },
            { path: '/v2/index.php' },
          );
        const bad = (await legacy('a\u0000')).body as unknown as Json;
        assert.equal(bad.codeDesc, 'InvalidParameterValue', JSON.stringify(bad));
        assert.notEqual(bad.code, 0);
        const good = (await legacy('renamed')).body as unknown as Json;
        assert.equal(good.code, 0, JSON.stringify(good));
      });
    });
  });
});

describe('Glance body readers use own properties only', () => {
  it('createInput ignores inherited fields', () => {
    const inherited = Object.create({
      name: 'inherited',
      protected: true,
      min_ram: 5,
      tags: ['x'],
    }) as Record<string, unknown>;
    inherited.disk_format = 'raw';
    const input = createInput(inherited);
    assert.deepEqual(input, { diskFormat: 'raw' });
  });

  it('translatePatch ignores inherited op, path and value', () => {
    const image = { properties: {}, description: null } as unknown as Image;
    const op = Object.create({ value: 'inherited' }) as Record<string, unknown>;
    op.op = 'add';
    op.path = '/foo';
    assert.throws(() => translatePatch(PATCH_V21_MEDIA, [op], image), /requires a member named "value"/);
    const draft4 = Object.create({ add: '/foo' }) as Record<string, unknown>;
    draft4.value = 'x';
    assert.throws(
      () => translatePatch('application/openstack-images-v2.0-json-patch', [draft4], image),
      /exactly one of/,
    );
    // Positive control: the same operation with own properties.
    assert.deepEqual(translatePatch(PATCH_V21_MEDIA, [{ op: 'add', path: '/foo', value: 'x' }], image), {
      setProperties: { foo: 'x' },
    });
  });
});
