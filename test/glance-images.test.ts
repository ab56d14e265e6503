// The OpenStack Image API v2 surface over real HTTP, on every database: version discovery, auth, schemas,
// image create/show/update/delete, JSON patch in both media types, tags, list filters, sorting and paging,
// the error envelope's content negotiation, 405/404/400 wire rules.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import {
  PATCH_V20,
  PATCH_V21,
  body,
  createImage,
  getJson,
  ids,
  patchImage,
  uploadData,
  type Json,
} from './helpers/glance.js';

const BASE_FIELDS = [
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'owner',
  'size',
  'virtual_size',
  'container_format',
  'disk_format',
  'min_disk',
  'min_ram',
  'tags',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
];
const SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** A minimal JSON-schema check of one image against /v2/schemas/image: types, enums, patterns. */
function schemaProblems(schema: Json, image: Json): string[] {
  const problems: string[] = [];
  const props = schema.properties as Record<string, Json>;
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  for (const [key, value] of Object.entries(image)) {
    const s = props[key] ?? (schema.additionalProperties as Json);
    const types = ([] as unknown[]).concat(s.type);
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      problems.push(`${key}: ${t} not in ${types.join('|')}`);
    }
    if (s.enum && !(s.enum as unknown[]).includes(value))
      problems.push(`${key}: ${String(value)} not in enum`);
    if (s.pattern && typeof value === 'string' && !new RegExp(s.pattern as string).test(value)) {
      problems.push(`${key}: ${value} does not match ${s.pattern as string}`);
    }
  }
  return problems;
}

forEachDatabase((target) => {
  describe(`image API v2 on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let alice: TestAccount;
    let token: string;

    before(async () => {
      t = await startTestServer({ target });
      alice = await t.createAccount();
      token = await t.token(alice);
    });
    after(async () => t?.close());

    describe('version discovery', () => {
      it('GET / answers 300 without a token, GET /versions 200, links to this endpoint', async () => {
        const root = await t.request('GET', '/');
        assert.equal(root.status, 300);
        const versions = body(root).versions as Json[];
        assert.equal(versions[0]?.id, 'v2.15');
        assert.equal(versions[0]?.status, 'CURRENT');
        for (const v of versions) {
          assert.ok(v.id && v.status && Array.isArray(v.links));
          assert.deepEqual(v.links, [{ rel: 'self', href: `${t.url}/v2/` }]);
        }
        const list = await t.request('GET', '/versions');
        assert.equal(list.status, 200);
        assert.deepEqual(list.body, root.body);
      });

      it('a region endpoint discovers its own /regions/<r>/v2/', async () => {
        const res = await t.request('GET', '/regions/ap-shanghai/');
        assert.equal(res.status, 300);
        const v = (body(res).versions as Json[])[0] as Json;
        assert.deepEqual(v.links, [{ rel: 'self', href: `${t.url}/regions/ap-shanghai/v2/` }]);
        assert.equal((await t.request('GET', '/regions/nowhere/v2/images', { token })).status, 404);
      });
    });

    describe('authentication', () => {
      it('refuses a missing or bad token with Keystone-style 401 and WWW-Authenticate', async () => {
        for (const headers of [{}, { 'x-auth-token': 'not-a-token' }]) {
          const res = await t.request('GET', '/v2/images', { headers });
          assert.equal(res.status, 401);
          assert.match(
            res.headers.get('www-authenticate') ?? '',
            /^Keystone uri="http:\/\/127\.0\.0\.1:\d+\//,
          );
          assert.equal((body(res).error as Json).code, 401);
        }
      });
    });

    describe('schemas', () => {
      it('serves image, images, member, members and the ten metadefs schemas by name', async () => {
        const names: Record<string, string> = {
          image: 'image',
          images: 'images',
          member: 'member',
          members: 'members',
          'metadefs/namespace': 'namespace',
          'metadefs/namespaces': 'namespaces',
          'metadefs/resource_type': 'resource_type_association',
          'metadefs/resource_types': 'resource_type_associations',
          'metadefs/object': 'object',
          'metadefs/objects': 'objects',
          'metadefs/property': 'property',
          'metadefs/properties': 'properties',
          'metadefs/tag': 'tag',
          'metadefs/tags': 'tags',
        };
        for (const [path, name] of Object.entries(names)) {
          const res = await getJson(t, token, `/v2/schemas/${path}`);
          assert.equal(res.status, 200, path);
          assert.equal(body(res).name, name, path);
        }
        assert.equal((await t.request('POST', '/v2/schemas/image', { token })).status, 405);
      });

      it('the image schema describes every field of a real image, with our ID pattern', async () => {
        const schema = body(await getJson(t, token, '/v2/schemas/image'));
        assert.equal((schema.properties as Record<string, Json>).id?.pattern, '^img-[a-z0-9]{8}$');
        assert.deepEqual(schema.additionalProperties, { type: 'string' });
        const image = await createImage(t, token, { name: 'schema', os_distro: 'debian', description: 'd' });
        assert.deepEqual(schemaProblems(schema, image), []);
        await uploadData(t, token, image.id, Buffer.from('data'));
        const active = body(await getJson(t, token, `/v2/images/${image.id}`));
        assert.equal(active.status, 'active');
        assert.deepEqual(schemaProblems(schema, active), []);
        // The check itself is not vacuous: a wrongly typed field is caught.
        assert.notDeepEqual(schemaProblems(schema, { ...active, min_ram: null }), []);
      });
    });

    describe('create and show', () => {
      it('creates with 201, an absolute Location and every base field', async () => {
        const res = await t.request('POST', '/v2/images', {
          token,
          body: { name: 'first', os_distro: 'ubuntu', description: 'an image', tags: ['a', 'b', 'a'] },
        });
        assert.equal(res.status, 201);
        const image = body(res);
        assert.match(image.id as string, /^img-[a-z0-9]{8}$/);
        assert.equal(res.headers.get('location'), `${t.url}/v2/images/${String(image.id)}`);
        for (const field of BASE_FIELDS) assert.ok(field in image, `missing ${field}`);
        assert.equal(image.status, 'queued');
        assert.equal(image.visibility, 'shared');
        assert.equal(image.owner, alice.id);
        assert.equal(image.protected, false);
        assert.equal(image.min_ram, 0);
        for (const field of ['checksum', 'size', 'virtual_size', 'os_hash_value', 'disk_format']) {
          assert.equal(image[field], null, field);
        }
        assert.match(image.created_at as string, SECONDS);
        assert.match(image.updated_at as string, SECONDS);
        assert.equal(image.self, `/v2/images/${String(image.id)}`);
        assert.equal(image.file, `/v2/images/${String(image.id)}/file`);
        assert.equal(image.schema, '/v2/schemas/image');
        assert.equal(image.os_distro, 'ubuntu');
        assert.equal(image.description, 'an image');
        assert.deepEqual(image.tags, ['a', 'b']);
        assert.ok(res.headers.get('x-openstack-request-id')?.startsWith('req-'));

        const shown = await getJson(t, token, `/v2/images/${String(image.id)}`);
        assert.equal(shown.status, 200);
        assert.deepEqual(shown.body, image);
      });

      it('an image without description has no description key; {} is enough', async () => {
        const res = await t.request('POST', '/v2/images', { token, body: {} });
        assert.equal(res.status, 201);
        assert.ok(!('description' in body(res)));
        assert.equal(body(res).name, null);
      });

      it('refuses read-only and reserved attributes (403), bad values and malformed JSON (400)', async () => {
        for (const field of ['status', 'checksum', 'size', 'created_at', 'self']) {
          const res = await t.request('POST', '/v2/images', { token, body: { [field]: 'x' } });
          assert.equal(res.status, 403, field);
        }
        for (const field of ['os_glance_foo', 'locations', 'deleted']) {
          const res = await t.request('POST', '/v2/images', { token, body: { [field]: 'x' } });
          assert.equal(res.status, 403, field);
        }
        for (const bad of [
          { disk_format: 'wrong' },
          { container_format: 'wrong' },
          { visibility: 'everyone' },
          { min_ram: -1 },
          { min_disk: 'big' },
          { protected: 'yes' },
          { extra: 5 },
          { id: 'not-ours' },
        ]) {
          const res = await t.request('POST', '/v2/images', { token, body: bad });
          assert.equal(res.status, 400, JSON.stringify(bad));
        }
        const malformed = await t.request('POST', '/v2/images', {
          token,
          body: '{"name":',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(malformed.status, 400);
        const notObject = await t.request('POST', '/v2/images', { token, body: [1, 2] });
        assert.equal(notObject.status, 400);
      });

      it('an admin may choose an ID once (409 after), others may not (no existence oracle); public needs an admin', async () => {
        const id = 'img-fixed001';
        const adminToken = await t.token(t.admin);
        assert.equal(
          (await t.request('POST', '/v2/images', { token, body: { id: 'img-fixed002' } })).status,
          403,
        );
        assert.equal(
          (await t.request('POST', '/v2/images', { token: adminToken, body: { id } })).status,
          201,
        );
        assert.equal(
          (await t.request('POST', '/v2/images', { token: adminToken, body: { id } })).status,
          409,
        );
        // A non-admin learns nothing about a taken ID: the same 403 as for a free one.
        assert.equal((await t.request('POST', '/v2/images', { token, body: { id } })).status, 403);
        assert.equal((await t.request('DELETE', `/v2/images/${id}`, { token: adminToken })).status, 204);
        assert.equal(
          (await t.request('POST', '/v2/images', { token, body: { visibility: 'public' } })).status,
          403,
        );
        const pub = await t.request('POST', '/v2/images', {
          token: adminToken,
          body: { visibility: 'public' },
        });
        assert.equal(pub.status, 201);
        // Public images show in everyone's list; remove it so the list tests see only their own.
        assert.equal(
          (await t.request('DELETE', `/v2/images/${String(body(pub).id)}`, { token: adminToken })).status,
          204,
        );
      });

      it('answers 404 for unknown, malformed and empty IDs', async () => {
        assert.equal((await getJson(t, token, '/v2/images/img-zzzzzzzz')).status, 404);
        assert.equal(
          (await getJson(t, token, '/v2/images/6e1b3c1a-0000-4000-8000-000000000000')).status,
          404,
        );
        assert.equal((await getJson(t, token, '/v2/images/')).status, 404);
        assert.equal((await t.request('DELETE', '/v2/images/', { token })).status, 404);
      });
    });

    describe('update (JSON patch)', () => {
      it('applies v2.1 (op) patches: replace, add, remove, tags', async () => {
        const image = await createImage(t, token, { name: 'p', keep: 'k', drop: 'd' });
        const res = await patchImage(t, token, image.id, [
          { op: 'replace', path: '/name', value: 'renamed' },
          { op: 'add', path: '/os_version', value: '22.04' },
          { op: 'add', path: '/keep', value: 'k2' }, // draft-10 add on an existing key replaces it
          { op: 'remove', path: '/drop' },
          { op: 'replace', path: '/tags', value: ['x', 'y'] },
          { op: 'replace', path: '/min_ram', value: 512 },
          { op: 'add', path: '/description', value: 'desc' },
          { op: 'add', path: '/a~1b', value: 'slash' },
        ]);
        assert.equal(res.status, 200, res.text);
        const out = body(res);
        assert.equal(out.name, 'renamed');
        assert.equal(out.os_version, '22.04');
        assert.equal(out.keep, 'k2');
        assert.ok(!('drop' in out));
        assert.deepEqual(out.tags, ['x', 'y']);
        assert.equal(out.min_ram, 512);
        assert.equal(out.description, 'desc');
        assert.equal(out['a/b'], 'slash');
        assert.deepEqual(body(await getJson(t, token, `/v2/images/${image.id}`)), out);
        const removed = await patchImage(t, token, image.id, [{ op: 'remove', path: '/description' }]);
        assert.ok(!('description' in body(removed)));
      });

      it('applies v2.0 (draft-4) patches as Tempest sends them, with draft-4 conflicts', async () => {
        const image = await createImage(t, token, { name: 'd4', prop: 'v' });
        const id = image.id;
        const ok = await patchImage(
          t,
          token,
          id,
          [
            { replace: '/name', value: 'new' },
            { add: '/other', value: 'o' },
          ],
          PATCH_V20,
        );
        assert.equal(ok.status, 200, ok.text);
        assert.equal(body(ok).name, 'new');
        assert.equal(body(ok).other, 'o');
        assert.equal((await patchImage(t, token, id, [{ add: '/prop', value: 'x' }], PATCH_V20)).status, 409);
        assert.equal((await patchImage(t, token, id, [{ add: '/name', value: 'x' }], PATCH_V20)).status, 409);
        assert.equal((await patchImage(t, token, id, [{ remove: '/other' }], PATCH_V20)).status, 200);
      });

      it('refuses read-only, reserved, base removal (403), missing properties (409), bad ops (400)', async () => {
        const image = await createImage(t, token, { name: 'neg' });
        const id = image.id;
        const cases: Array<[unknown, number]> = [
          [[{ op: 'replace', path: '/status', value: 'active' }], 403],
          [[{ op: 'replace', path: '/id', value: 'img-aaaaaaaa' }], 403],
          [[{ op: 'add', path: '/os_glance_foo', value: 'x' }], 403],
          [[{ op: 'remove', path: '/name' }], 403],
          [[{ op: 'add', path: '/locations/-', value: { url: 'file:///etc/passwd', metadata: {} } }], 403],
          [[{ op: 'replace', path: '/nope', value: 'x' }], 409],
          [[{ op: 'remove', path: '/nope' }], 409],
          [[{ op: 'move', path: '/name', from: '/x' }], 400],
          [[{ op: 'replace', path: '/name' }], 400],
          [[{ op: 'replace', path: 'name', value: 'x' }], 400],
          [[{ op: 'replace', path: '/a/b', value: 'x' }], 400],
          [[{ op: 'add', path: '/prop', value: 7 }], 400],
          [[{ op: 'replace', path: '/protected', value: 'true' }], 400],
          [[{ op: 'replace', path: '/disk_format', value: 'wrong' }], 400],
          [{ op: 'replace', path: '/name', value: 'x' }, 400],
        ];
        for (const [ops, status] of cases) {
          const res = await patchImage(t, token, id, ops);
          assert.equal(res.status, status, `${JSON.stringify(ops)} -> ${res.status} ${res.text}`);
        }
        assert.equal(body(await getJson(t, token, `/v2/images/${id}`)).name, 'neg');
        const drop = await patchImage(
          t,
          token,
          id,
          [{ replace: '/name', value: 'x' }, { remove: '/nope' }],
          PATCH_V20,
        );
        assert.equal(drop.status, 409);
        assert.equal(body(await getJson(t, token, `/v2/images/${id}`)).name, 'neg', 'all or nothing');
      });

      it('answers 415 with Accept-Patch for other media types, and works with an empty Accept', async () => {
        const image = await createImage(t, token, { name: 'mt' });
        const res = await t.request('PATCH', `/v2/images/${image.id}`, {
          token,
          body: [{ op: 'replace', path: '/name', value: 'x' }],
        });
        assert.equal(res.status, 415);
        assert.equal(
          res.headers.get('accept-patch'),
          'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch',
        );
        const sdk = await t.request('PATCH', `/v2/images/${image.id}`, {
          token,
          body: JSON.stringify([{ op: 'replace', path: '/name', value: 'sdk' }]),
          headers: { 'content-type': `${PATCH_V21}; charset=UTF-8`, accept: '' },
        });
        assert.equal(sdk.status, 200, sdk.text);
        assert.equal((JSON.parse(sdk.text) as { name: unknown }).name, 'sdk');
      });
    });

    describe('delete, tags, wire rules', () => {
      it('deletes with 204; then GET and DELETE are 404; protected images are 403', async () => {
        const image = await createImage(t, token);
        const id = image.id;
        assert.equal((await t.request('DELETE', `/v2/images/${id}`, { token })).status, 204);
        assert.equal((await getJson(t, token, `/v2/images/${id}`)).status, 404);
        assert.equal((await t.request('DELETE', `/v2/images/${id}`, { token })).status, 404);
        assert.ok(!ids(await getJson(t, token, '/v2/images?limit=1000')).includes(id));

        const prot = await createImage(t, token, { protected: true });
        const pid = prot.id;
        assert.equal((await t.request('DELETE', `/v2/images/${pid}`, { token })).status, 403);
        assert.equal(
          (await patchImage(t, token, pid, [{ replace: '/protected', value: false }], PATCH_V20)).status,
          200,
        );
        assert.equal((await t.request('DELETE', `/v2/images/${pid}`, { token })).status, 204);
      });

      it('adds and removes tags (204), 404 for a missing tag or image', async () => {
        const image = await createImage(t, token);
        const id = image.id;
        assert.equal((await t.request('PUT', `/v2/images/${id}/tags/blue`, { token })).status, 204);
        assert.deepEqual(body(await getJson(t, token, `/v2/images/${id}`)).tags, ['blue']);
        assert.equal((await t.request('DELETE', `/v2/images/${id}/tags/blue`, { token })).status, 204);
        assert.deepEqual(body(await getJson(t, token, `/v2/images/${id}`)).tags, []);
        assert.equal((await t.request('DELETE', `/v2/images/${id}/tags/blue`, { token })).status, 404);
        assert.equal((await t.request('PUT', `/v2/images/img-zzzzzzzz/tags/x`, { token })).status, 404);
      });

      it('answers 405 with Allow for known paths, 400 for unexpected bodies', async () => {
        const image = await createImage(t, token);
        const res = await t.request('POST', `/v2/images/${image.id}`, { token });
        assert.equal(res.status, 405);
        assert.equal(res.headers.get('allow'), 'GET, PATCH, DELETE');
        assert.equal((await t.request('PUT', '/v2/images', { token })).headers.get('allow'), 'GET, POST');
        const withBody = await t.request('DELETE', `/v2/images/${image.id}`, { token, body: { a: 1 } });
        assert.equal(withBody.status, 400);
        assert.equal((await getJson(t, token, `/v2/images/${image.id}`)).status, 200, 'not deleted');
      });

      it('serves /v2/info/import (no methods) and 404 for /v2/info/stores (single store)', async () => {
        const res = await getJson(t, token, '/v2/info/import');
        assert.deepEqual((body(res)['import-methods'] as Json).value, []);
        assert.equal((await getJson(t, token, '/v2/info/stores')).status, 404);
      });
    });

    describe('error envelope', () => {
      const path = '/v2/images/img-zzzzzzzz';
      it('JSON when application/json is preferred, with a string code', async () => {
        for (const accept of ['application/json', '*/*;q=0.8, application/json']) {
          const res = await t.request('GET', path, { token, headers: { accept } });
          assert.equal(res.status, 404);
          // Tempest accepts application/json with or without charset.
          assert.match(res.headers.get('content-type') ?? '', /^application\/json(; charset=utf-8)?$/i);
          const b = body(res);
          assert.equal(b.code, '404 Not Found');
          assert.equal(b.title, 'Not Found');
          assert.match(b.message as string, /^No image found with ID img-zzzzzzzz/);
        }
      });
      it('HTML for */*, text/html and ties; text/plain for none or others', async () => {
        for (const accept of ['*/*', 'text/html', 'application/json, */*']) {
          const res = await t.request('GET', path, { token, headers: { accept } });
          assert.equal(res.headers.get('content-type'), 'text/html; charset=UTF-8', accept);
          assert.match(res.text, /<h1>404 Not Found<\/h1>/);
        }
        for (const accept of ['', 'application/octet-stream']) {
          const res = await t.request('GET', path, { token, headers: { accept } });
          assert.equal(res.headers.get('content-type'), 'text/plain; charset=UTF-8', accept);
          assert.match(res.text, /^404 Not Found\n\nNo image found with ID img-zzzzzzzz/);
        }
      });
    });

    describe('list', () => {
      let bob: TestAccount;
      let bobToken: string;
      const made: Json[] = [];

      before(async () => {
        // A separate account so the list holds exactly these images.
        bob = await t.createAccount();
        bobToken = await t.token(bob);
        const specs: Json[] = [
          { name: 'alpha', visibility: 'private', tags: ['red'], os_distro: 'ubuntu', min_ram: 256 },
          { name: 'beta', disk_format: 'qcow2', tags: ['red', 'blue'], protected: true },
          { name: 'gamma', container_format: 'ovf', os_distro: 'debian', description: 'the third' },
          { name: 'same', os_hidden: true },
          { name: 'same' },
          { name: 'same', visibility: 'private' },
          { name: 'glass, darkly' },
        ];
        for (const spec of specs) made.push(await createImage(t, bobToken, spec));
        // Sizes: alpha 10, beta 20, gamma 30 bytes.
        for (const [i, image] of made.slice(0, 3).entries()) {
          const res = await uploadData(t, bobToken, image.id as string, Buffer.alloc((i + 1) * 10, i));
          assert.equal(res.status, 204);
        }
      });
      after(async () => {
        await patchImage(t, bobToken, made[1]?.id as string, [
          { op: 'replace', path: '/protected', value: false },
        ]);
      });

      const visible = () => made.filter((m) => m.os_hidden !== true).map((m) => m.id as string);
      const names = async (query: string) =>
        (body(await getJson(t, bobToken, `/v2/images${query}`)).images as Json[]).map((i) => i.name);

      it('lists own images, newest first, without hidden ones; `first` and `schema` links', async () => {
        const res = await getJson(t, bobToken, '/v2/images');
        assert.equal(res.status, 200);
        assert.deepEqual(new Set(ids(res)), new Set(visible()));
        const created = (body(res).images as Json[]).map((i) => i.created_at as string);
        assert.deepEqual(created, [...created].sort().reverse());
        assert.equal(body(res).first, '/v2/images');
        assert.equal(body(res).schema, '/v2/schemas/images');
        assert.ok(!('next' in body(res)));
        assert.deepEqual(await names('?os_hidden=true'), ['same']);
      });

      it('filters by name, in:, status, formats, visibility, tag, size, owner, protected, property', async () => {
        assert.deepEqual(await names('?name=alpha'), ['alpha']);
        assert.deepEqual(new Set(await names('?name=in:alpha,beta')), new Set(['alpha', 'beta']));
        assert.deepEqual(await names('?name=in:"glass,%20darkly",nothing'), ['glass, darkly']);
        assert.deepEqual(new Set(await names('?status=active')), new Set(['alpha', 'beta', 'gamma']));
        assert.deepEqual(await names('?disk_format=qcow2'), ['beta']);
        assert.deepEqual(await names('?container_format=ovf'), ['gamma']);
        assert.deepEqual(new Set(await names('?visibility=private')), new Set(['alpha', 'same']));
        assert.deepEqual(new Set(await names('?tag=red')), new Set(['alpha', 'beta']));
        assert.deepEqual(await names('?tag=red&tag=blue'), ['beta']);
        assert.deepEqual(await names('?size=20'), ['beta']);
        assert.deepEqual(new Set(await names('?size_min=20')), new Set(['beta', 'gamma']));
        assert.deepEqual(new Set(await names('?size_min=10&size_max=20')), new Set(['alpha', 'beta']));
        assert.deepEqual(await names('?protected=true'), ['beta']);
        assert.deepEqual(await names('?os_distro=debian'), ['gamma']);
        assert.deepEqual(await names('?description=the%20third'), ['gamma']);
        assert.deepEqual(await names('?min_ram=256'), ['alpha']);
        assert.equal((await names(`?owner=${bob.id}`)).length, visible().length);
        assert.deepEqual(await names(`?owner=${alice.id}&name=alpha`), []);
        const beta = body(await getJson(t, bobToken, `/v2/images/${String(made[1]?.id)}`));
        assert.deepEqual(await names(`?checksum=${String(beta.checksum)}`), ['beta']);
        assert.deepEqual(await names(`?os_hash_value=${String(beta.os_hash_value)}`), ['beta']);
        const future = new Date(Date.now() + 3_600_000).toISOString().slice(0, 19) + 'Z';
        assert.deepEqual(await names(`?created_at=gt:${future}`), []);
        assert.equal((await names(`?created_at=lt:${future}`)).length, visible().length);
        assert.deepEqual(await names(`?created_at=eq:${String(beta.created_at)}&name=beta`), ['beta']);
      });

      it('sorts by sort_key/sort_dir and by sort=', async () => {
        const bySize = (await names('?sort_key=size&sort_dir=desc&status=active')) as string[];
        assert.deepEqual(bySize, ['gamma', 'beta', 'alpha']);
        assert.deepEqual(await names('?sort=size:asc&status=active'), ['alpha', 'beta', 'gamma']);
        const byName = (await names('?sort=name:asc')) as string[];
        assert.deepEqual(byName, [...byName].sort());
        assert.deepEqual(
          await names('?sort_key=name&sort_key=size&sort_dir=asc&sort_dir=asc&status=active'),
          ['alpha', 'beta', 'gamma'],
        );
      });

      it('refuses bad parameters with 400', async () => {
        for (const q of [
          'limit=x',
          'limit=-1',
          'sort_key=owner',
          'sort_dir=up',
          'sort=name:asc&sort_key=name',
          'sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc',
          'visibility=everyone',
          'member_status=maybe',
          'protected=yes',
          'os_hidden=1',
          'size_min=big',
          'changes-since=2020-01-01T00:00:00Z',
          'created_at=gt:yesterday',
          'name=foo:bar',
          'marker=img-zzzzzzzz',
        ]) {
          const res = await getJson(t, bobToken, `/v2/images?${q}`);
          assert.equal(res.status, 400, q);
        }
      });

      for (const [label, query] of [
        ['default order', ''],
        ['name ascending with ties', '&sort_key=name&sort_dir=asc'],
        ['size descending (nulls)', '&sort=size:desc'],
      ] as const) {
        it(`pages with limit and next links, neither repeating nor skipping (${label})`, async () => {
          const seen: string[] = [];
          let next: string | undefined = `/v2/images?limit=2${query}`;
          let pages = 0;
          while (next) {
            assert.ok(next.startsWith('/v2/images?'), next);
            const res = await getJson(t, bobToken, next);
            assert.equal(res.status, 200, res.text);
            const page = ids(res);
            assert.ok(page.length <= 2);
            seen.push(...page);
            assert.ok(!(body(res).first as string).includes('marker='));
            next = body(res).next as string | undefined;
            if (next) assert.match(next, new RegExp(`marker=${page[page.length - 1]}`));
            pages += 1;
            assert.ok(pages < 10, 'paging terminates');
          }
          assert.equal(seen.length, new Set(seen).size, 'no repeats');
          assert.deepEqual(new Set(seen), new Set(visible()), 'no skips');
          const all = ids(await getJson(t, bobToken, `/v2/images?limit=100${query}`));
          assert.deepEqual(seen, all, 'same order as one page');
        });
      }

      it('caps limit at 1000 and accepts limit=0', async () => {
        assert.equal((await getJson(t, bobToken, '/v2/images?limit=5000')).status, 200);
        assert.deepEqual(ids(await getJson(t, bobToken, '/v2/images?limit=0')), []);
      });
    });
  });
});
