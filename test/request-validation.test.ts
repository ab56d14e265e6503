// Request shapes are declared once (TypeBox, checked by one Ajv: src/http/validation.ts) and every surface
// answers a bad one in its own dialect, never with a 500:
// - Glance validates image bodies against the very schema GET /v2/schemas/image serves: changing the served
//   schema changes what POST and PATCH accept;
// - Glance member bodies, Keystone logins, Tencent API 3.0 and legacy parameters get their dialect's texts
//   and codes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imageSchema } from '../src/http/glance/schemas.js';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestAccount, type TestResponse, type TestServer } from './helpers/server.js';
import { PATCH_V21, body, createImage, type Json } from './helpers/glance.js';
import { paramsRequest, tc3Request, type Key } from './helpers/tencent.js';

const JSON_ACCEPT = { accept: 'application/json' };

function assertGlance400(res: TestResponse, message: RegExp): void {
  assert.equal(res.status, 400, res.text.slice(0, 300));
  const b = body(res);
  assert.equal(b.code, '400 Bad Request');
  assert.match(String(b.message), message);
}

forEachDatabase((target) => {
  describe(`request validation on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let alice: TestAccount;
    let bob: TestAccount;
    let token: string;
    let imageId: string;
    let key: Key;

    before(async () => {
      t = await startTestServer({ target });
      alice = await t.createAccount();
      bob = await t.createAccount();
      token = await t.token(alice);
      imageId = (await createImage(t, token, { name: 'valid', visibility: 'shared' })).id;
      key = await t.server.services.apiKeys.create(alice.id);
    });
    after(async () => t.close());

    const post = (fields: unknown) =>
      t.request('POST', '/v2/images', { token, headers: JSON_ACCEPT, body: fields });
    const patch = (ops: unknown) =>
      t.request('PATCH', `/v2/images/${imageId}`, {
        token,
        headers: { ...JSON_ACCEPT, 'content-type': PATCH_V21 },
        body: JSON.stringify(ops),
      });

    describe('Glance image bodies', () => {
      for (const [fields, message] of [
        [{ min_ram: '1' }, /Invalid value for 'min_ram': expected an integer\./],
        [{ min_disk: 1.5 }, /'min_disk': expected an integer/],
        [{ protected: 'yes' }, /'protected': expected a boolean\./],
        [{ name: 7 }, /'name': expected a string of at most 255 characters or null\./],
        [{ name: 'n'.repeat(256) }, /'name': expected a string of at most 255 characters/],
        [{ visibility: 'everyone' }, /'visibility': expected one of public, community, shared, private\./],
        [{ disk_format: 'floppy' }, /'disk_format': expected one of ami, .*qcow2.* or null\./],
        [{ tags: 'x' }, /'tags': expected an array of strings of at most 255 characters\./],
        [{ tags: ['ok', 3] }, /'tags': expected an array of strings/],
        [{ id: 'not-an-id' }, /'id': expected a string matching/],
        [{ kernel_id: 5 }, /'kernel_id': expected a string or null\./],
        [{ foo: 5 }, /'foo': expected a string \(extra properties are strings\)\./],
        [{ foo: ['x'] }, /'foo': expected a string/],
      ] as const) {
        it(`POST ${JSON.stringify(fields).slice(0, 60)}: 400`, async () => {
          assertGlance400(await post(fields), message);
        });
      }

      it('read-only and reserved attributes are a 403 before the schema is consulted', async () => {
        const res = await post({ status: 'active', min_ram: 'x' });
        assert.equal(res.status, 403, res.text);
        assert.match(String(body(res).message), /Attribute 'status' is read-only/);
        assert.equal((await post({ os_glance_x: 'y' })).status, 403);
      });

      it('bodies that are not objects are 400s', async () => {
        assertGlance400(await post([1]), /Body must be a JSON object/);
        assertGlance400(await post('"x"'), /Body must be a JSON object/);
        assertGlance400(await post('{'), /Malformed JSON/);
      });

      it('positive control: every field at its bound, and nullable ones null', async () => {
        const image = await createImage(t, token, {
          name: 'n'.repeat(255),
          min_ram: 0,
          protected: false,
          tags: ['t'.repeat(255)],
          kernel_id: null,
          description: null,
          foo: 'bar',
        });
        assert.equal(image.foo, 'bar');
        assert.equal(Object.hasOwn(image, 'kernel_id'), false);
      });

      for (const [ops, message] of [
        [[{ op: 'replace', path: '/min_ram', value: 'x' }], /'min_ram': expected an integer/],
        [[{ op: 'replace', path: '/visibility', value: 'everyone' }], /'visibility': expected one of/],
        [[{ op: 'replace', path: '/tags', value: [1] }], /'tags': expected an array of strings/],
        [[{ op: 'add', path: '/foo', value: 5 }], /'foo': expected a string \(extra properties/],
        [[{ op: 'add', path: '/description', value: 5 }], /'description': expected a string or null/],
      ] as const) {
        it(`PATCH ${JSON.stringify(ops[0]).slice(0, 70)}: 400`, async () => {
          assertGlance400(await patch(ops), message);
        });
      }

      it('PATCH: a nullable extra property set to null is removed', async () => {
        let res = await patch([{ op: 'add', path: '/kernel_id', value: 'k1' }]);
        assert.equal(res.status, 200, res.text);
        assert.equal(body(res).kernel_id, 'k1');
        res = await patch([{ op: 'replace', path: '/kernel_id', value: null }]);
        assert.equal(res.status, 200, res.text);
        assert.equal(Object.hasOwn(body(res), 'kernel_id'), false);
      });
    });

    describe('Glance list query', () => {
      const list = (query: string) =>
        t.request('GET', `/v2/images?${query}`, { token, headers: JSON_ACCEPT });
      it('closed vocabularies and repeat counts are checked by the query schema', async () => {
        assertGlance400(await list('visibility=everyone'), /^Invalid visibility value: everyone/);
        assertGlance400(await list('member_status=maybe'), /^Invalid status value: maybe/);
        const times = Array.from({ length: 21 }, () => 'created_at=lt:2030-01-01T00:00:00Z').join('&');
        assertGlance400(await list(times), /Too many created_at filters: at most 20/);
        assertGlance400(await list('a%00b=1'), /must not contain NUL characters/);
        // Positive control: the same names with valid values.
        const ok = await list('visibility=shared&member_status=all&created_at=lt:2030-01-01T00:00:00Z');
        assert.equal(ok.status, 200, ok.text);
        assert.ok((body(ok).images as Json[]).some((i) => i.id === imageId));
      });
    });

    describe('Glance member bodies', () => {
      const addMember = (payload: unknown) =>
        t.request('POST', `/v2/images/${imageId}/members`, { token, headers: JSON_ACCEPT, body: payload });
      const setStatus = (payload: unknown) =>
        t.request('PUT', `/v2/images/${imageId}/members/${alice.id}`, {
          token,
          headers: JSON_ACCEPT,
          body: payload,
        });

      it("create: Glance's texts for each refusal", async () => {
        assertGlance400(await addMember({}), /^Member to be added not specified/);
        assertGlance400(await addMember({ member: null }), /^Member can't be empty/);
        assertGlance400(await addMember({ member: '' }), /^Member can't be empty/);
        assertGlance400(await addMember({ member: 5 }), /^Member must be a string \(an account ID\)/);
        // An object String() cannot convert (the fuzzer's find: it was a 500).
        assertGlance400(
          await addMember({ member: { toString: false } }),
          /^Member must be a string \(an account ID\)/,
        );
        assertGlance400(await addMember({ member: 'x'.repeat(256) }), /longer than 255 characters/);
        assertGlance400(await addMember([bob.id]), /Body must be a JSON object/);
        const ok = await addMember({ member: bob.id });
        assert.equal(ok.status, 200, ok.text);
      });

      it("update: Glance's texts, unknown keys ignored", async () => {
        assertGlance400(await setStatus({}), /^Status not specified/);
        assertGlance400(await setStatus({ status: 'maybe' }), /Status must be "pending", "accepted"/);
        assertGlance400(await setStatus({ status: 1 }), /Status must be "pending", "accepted"/);
        // Positive control through the receiver, with an extra key openstacksdk may send.
        const bobToken = await t.token(bob);
        const res = await t.request('PUT', `/v2/images/${imageId}/members/${bob.id}`, {
          token: bobToken,
          body: { status: 'accepted', member_id: bob.id },
        });
        assert.equal(res.status, 200, res.text);
        assert.equal(body(res).status, 'accepted');
      });
    });

    describe('Keystone login bodies', () => {
      const login = (payload: unknown) => t.request('POST', '/identity/v3/auth/tokens', { body: payload });
      it('a missing or mistyped field is a 400 naming it', async () => {
        for (const [payload, field] of [
          [{}, /'auth': 'auth' is a required property/],
          [{ auth: {} }, /'auth\.identity'/],
          [{ auth: { identity: { methods: 'password' } } }, /'auth\.identity\.methods'/],
          [{ auth: { identity: { methods: ['password'], password: { user: { name: 1 } } } } }, /user/],
        ] as const) {
          const res = await login(payload);
          assert.equal(res.status, 400, res.text);
          const error = body(res).error as Json;
          assert.equal(error.code, 400);
          assert.match(String(error.message), field);
        }
      });
    });

    describe('Tencent parameters', () => {
      const tc = async (action: string, params: Json) =>
        (await tc3Request(t.url, key, { action, body: JSON.stringify(params) })).body.Response.Error?.Code;
      const legacy = async (params: Record<string, string>) =>
        (await paramsRequest(t.url, key, params, { path: '/v2/index.php' })).body as unknown as Json;

      it('API 3.0: each problem has its code', async () => {
        const share = { ImageId: imageId, AccountIds: [bob.id], Permission: 'SHARE' };
        assert.equal(
          await tc('ModifyImageSharePermission', { ...share, Permission: 'LEND' }),
          'InvalidParameterValue',
        );
        assert.equal(await tc('ModifyImageSharePermission', { ...share, Extra: 1 }), 'UnknownParameter');
        assert.equal(
          await tc('ModifyImageSharePermission', { ImageId: imageId, Permission: 'SHARE' }),
          'MissingParameter',
        );
        assert.equal(
          await tc('ModifyImageSharePermission', { ...share, AccountIds: bob.id }),
          'InvalidParameter',
        );
        assert.equal(
          await tc('ModifyImageSharePermission', { ...share, AccountIds: ['abc'] }),
          'InvalidParameterValue.InvalidAppIdFormat',
        );
        assert.equal(
          await tc('ModifyImageSharePermission', { ...share, AccountIds: Array(501).fill(bob.id) }),
          'InvalidParameterValue.LimitExceeded',
        );
        assert.equal(
          await tc('DescribeImages', { Limit: 101 }),
          'InvalidParameterValue.InvalidParameterValueLimit',
        );
        assert.equal(await tc('DescribeImages', { ImageIds: ['img-X'] }), 'InvalidImageId.Malformed');
        assert.equal(
          await tc('ModifyImageAttribute', { ImageId: imageId, ImageName: 'n'.repeat(61) }),
          'InvalidParameterValue.TooLarge',
        );
        // Positive control.
        assert.equal(await tc('DescribeImageSharePermission', { ImageId: imageId }), undefined);
      });

      it('legacy: the same checks, in the legacy envelope', async () => {
        const bad = await legacy({ Action: 'ShareImage', imageId, 'uinList.0': 'abc' });
        assert.equal(bad.codeDesc, 'InvalidParameterValue.InvalidAppIdFormat', JSON.stringify(bad));
        assert.notEqual(bad.code, 0);
        const missing = await legacy({ Action: 'DescribeImages' });
        assert.equal(missing.codeDesc, 'MissingParameter', JSON.stringify(missing));
        const typed = await legacy({ Action: 'DescribeImages', imageType: 'four' });
        assert.equal(typed.codeDesc, 'InvalidParameter', JSON.stringify(typed));
        const good = await legacy({ Action: 'DescribeImages', imageType: '1' });
        assert.equal(good.code, 0, JSON.stringify(good));
      });
    });
  });

  describe(
    `the served image schema is the one enforced, on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      it('a change to GET /v2/schemas/image changes what POST and PATCH accept', async () => {
        const name = imageSchema.properties.name as unknown as { maxLength: number };
        const original = name.maxLength;
        name.maxLength = 8;
        let t: TestServer | undefined;
        try {
          t = await startTestServer({ target });
          const token = await t.token(await t.createAccount());
          const served = body(await t.request('GET', '/v2/schemas/image', { token }));
          assert.equal(((served.properties as Json).name as Json).maxLength, 8);
          const tooLong = await t.request('POST', '/v2/images', {
            token,
            headers: JSON_ACCEPT,
            body: { name: 'ninechars' },
          });
          assertGlance400(tooLong, /'name': expected a string of at most 8 characters/);
          const image = await createImage(t, token, { name: 'eight888' });
          const patched = await t.request('PATCH', `/v2/images/${String(image.id)}`, {
            token,
            headers: { ...JSON_ACCEPT, 'content-type': PATCH_V21 },
            body: JSON.stringify([{ op: 'replace', path: '/name', value: 'ninechars' }]),
          });
          assertGlance400(patched, /at most 8 characters/);
        } finally {
          name.maxLength = original;
          await t?.close();
        }
        // Control: with the schema as shipped, the same name is accepted by a server built afterwards.
        const fresh = await startTestServer({ target });
        try {
          const token = await fresh.token(await fresh.createAccount());
          assert.equal((await createImage(fresh, token, { name: 'ninechars' })).name, 'ninechars');
        } finally {
          await fresh.close();
        }
      });
    },
  );
});
