// Tencent API 3.0 end to end: the official Node SDK against a real server (TC3 POST and GET, v1 HmacSHA256 and
// HmacSHA1), the envelope, routing beside the image API's `GET /`, and every authentication refusal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { cvmClient, paramsRequest, sdkErrorCode, tc3Request, type Key } from './helpers/tencent.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const expectedRegions = [
  { Region: 'ap-guangzhou', RegionName: 'South China(Guangzhou)', RegionState: 'AVAILABLE' },
  { Region: 'ap-shanghai', RegionName: 'East China(Shanghai)', RegionState: 'AVAILABLE' },
];

forEachDatabase((target) => {
  describe(`Tencent API 3.0 on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let key: Key;
    let accountId: string;

    before(async () => {
      t = await startTestServer({ target, overrides: { regions: 'ap-guangzhou,ap-shanghai' } });
      const account = await t.createAccount();
      accountId = account.id;
      key = await t.server.services.apiKeys.create(account.id);
    });
    after(async () => t.close());

    describe('the official SDK succeeds with a valid key', () => {
      for (const [label, options] of [
        ['TC3 POST (default)', {}],
        ['TC3 GET', { reqMethod: 'GET' }],
        ['v1 HmacSHA256 form POST', { signMethod: 'HmacSHA256' }],
        ['v1 HmacSHA1 form POST', { signMethod: 'HmacSHA1' }],
        ['v1 HmacSHA256 GET', { signMethod: 'HmacSHA256', reqMethod: 'GET' }],
      ] as const) {
        it(`DescribeRegions, ${label}`, async () => {
          const response = await cvmClient(t.url, key, options).DescribeRegions();
          assert.equal(response.TotalCount, 2);
          assert.deepEqual(response.RegionSet, expectedRegions);
          assert.match(response.RequestId ?? '', UUID);
        });
      }

      it('signs with the port too (Python and Go SDKs) and service "cvm"', async () => {
        const res = await tc3Request(t.url, key, { action: 'DescribeRegions', signPort: true });
        assert.equal(res.body.Response.Error, undefined);
        assert.equal(res.body.Response.TotalCount, 2);
      });

      it('accepts X-TC-Content-SHA256: UNSIGNED-PAYLOAD', async () => {
        // tc3Request hashes the body it sends; with UNSIGNED-PAYLOAD the server must hash the literal instead.
        const signedForLiteral = await tc3Request(t.url, key, {
          action: 'DescribeRegions',
          body: 'UNSIGNED-PAYLOAD',
          contentType: 'application/json',
          extraHeaders: { 'x-tc-content-sha256': 'UNSIGNED-PAYLOAD' },
        });
        // The body "UNSIGNED-PAYLOAD" is not JSON: authentication passed, then the body was refused as such.
        assert.equal(signedForLiteral.body.Response.Error?.Code, 'InvalidParameter');
        assert.match(signedForLiteral.body.Response.Error?.Message ?? '', /JSON/);
      });
    });

    describe('the envelope', () => {
      it('is HTTP 200, Content-Type exactly application/json, with a uuid RequestId, also for errors', async () => {
        const ok = await tc3Request(t.url, key, { action: 'DescribeRegions' });
        assert.equal(ok.status, 200);
        assert.equal(ok.contentType, 'application/json');
        assert.match(ok.body.Response.RequestId, UUID);
        const bad = await tc3Request(t.url, { ...key, secretKey: 'wrong' }, { action: 'DescribeRegions' });
        assert.equal(bad.status, 200);
        assert.equal(bad.contentType, 'application/json');
        assert.equal(bad.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');
        assert.match(bad.body.Response.RequestId, UUID);
        assert.deepEqual(Object.keys(bad.body.Response).sort(), ['Error', 'RequestId']);
      });

      it('NoSuchVersion, InvalidAction, MissingParameter', async () => {
        const version = await tc3Request(t.url, key, { action: 'DescribeRegions', version: '2022-01-01' });
        assert.equal(version.body.Response.Error?.Code, 'NoSuchVersion');
        const action = await tc3Request(t.url, key, { action: 'LaunchRockets' });
        assert.equal(action.body.Response.Error?.Code, 'InvalidAction');
        const inherited = await tc3Request(t.url, key, { action: 'toString' });
        assert.equal(inherited.body.Response.Error?.Code, 'InvalidAction');
        const res = await fetch(`${t.url}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(res.status, 200);
        const body = (await res.json()) as { Response: { Error: { Code: string } } };
        assert.equal(body.Response.Error.Code, 'MissingParameter');
      });

      it('UnknownParameter for a field the action does not take', async () => {
        const res = await tc3Request(t.url, key, { action: 'DescribeRegions', body: '{"Foo":1}' });
        assert.equal(res.body.Response.Error?.Code, 'UnknownParameter');
        assert.match(res.body.Response.Error?.Message ?? '', /Foo/);
      });

      it('a body over the limit is RequestSizeLimitExceeded with status 200, never a 413', async () => {
        const big = JSON.stringify({ Pad: 'x'.repeat(t.config.server.bodyLimitBytes + 10) });
        const res = await tc3Request(t.url, key, { action: 'DescribeRegions', body: big });
        assert.equal(res.status, 200);
        assert.equal(res.body.Response.Error?.Code, 'RequestSizeLimitExceeded');
      });

      it('unsupported content types are refused in the envelope', async () => {
        const res = await tc3Request(t.url, key, {
          action: 'DescribeRegions',
          contentType: 'text/xml',
          body: '<a/>',
        });
        assert.equal(res.status, 200);
        assert.equal(res.body.Response.Error?.Code, 'InvalidParameter');
      });
    });

    describe('routing beside the image API', () => {
      it('GET / without X-TC-Action or Action is not answered by the Tencent API', async () => {
        const res = await fetch(`${t.url}/`);
        const text = await res.text();
        assert.equal(res.status, 300, 'OpenStack version discovery');
        assert.ok(text.includes('"versions"') && !text.includes('"Response"'));
        // ...and the image API's other routes are not disturbed by an Action query parameter.
        const versions = await fetch(`${t.url}/versions?Action=DescribeRegions`);
        assert.equal(versions.status, 200);
        assert.ok(!(await versions.text()).includes('"Response"'));
      });

      it('GET /?Action=... with the v1 signature reaches the Tencent API', async () => {
        const res = await paramsRequest(
          t.url,
          key,
          { Action: 'DescribeRegions', Version: '2017-03-12' },
          { method: 'GET' },
        );
        assert.equal(res.body.Response.Error, undefined);
        assert.deepEqual(res.body.Response.RegionSet, expectedRegions);
      });
    });

    describe('authentication failures through the SDK', () => {
      it('wrong secret: AuthFailure.SignatureFailure (TC3 and v1)', async () => {
        const wrong = { ...key, secretKey: key.secretKey.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) };
        assert.equal(
          await sdkErrorCode(() => cvmClient(t.url, wrong).DescribeRegions()),
          'AuthFailure.SignatureFailure',
        );
        assert.equal(
          await sdkErrorCode(() => cvmClient(t.url, wrong, { signMethod: 'HmacSHA256' }).DescribeRegions()),
          'AuthFailure.SignatureFailure',
        );
      });

      it('unknown SecretId: AuthFailure.SecretIdNotFound; not an API key id: AuthFailure.InvalidSecretId', async () => {
        const unknown = { secretId: `AKID${'Z'.repeat(32)}`, secretKey: key.secretKey };
        assert.equal(
          await sdkErrorCode(() => cvmClient(t.url, unknown).DescribeRegions()),
          'AuthFailure.SecretIdNotFound',
        );
        const foreign = { secretId: 'not-a-key', secretKey: key.secretKey };
        assert.equal(
          await sdkErrorCode(() => cvmClient(t.url, foreign).DescribeRegions()),
          'AuthFailure.InvalidSecretId',
        );
      });

      it('disabled key: AuthFailure.SecretIdNotFound, and a deleted key too', async () => {
        const second = await t.server.services.apiKeys.create(accountId);
        assert.equal((await cvmClient(t.url, second).DescribeRegions()).TotalCount, 2);
        await t.server.services.apiKeys.disable(accountId, second.secretId);
        assert.equal(
          await sdkErrorCode(() => cvmClient(t.url, second).DescribeRegions()),
          'AuthFailure.SecretIdNotFound',
        );
        assert.equal(
          await sdkErrorCode(() => cvmClient(t.url, second, { signMethod: 'HmacSHA1' }).DescribeRegions()),
          'AuthFailure.SecretIdNotFound',
        );
        await t.server.services.apiKeys.delete(accountId, second.secretId);
        assert.equal(
          await sdkErrorCode(() => cvmClient(t.url, second).DescribeRegions()),
          'AuthFailure.SecretIdNotFound',
        );
      });

      it('a disabled account: AuthFailure.SecretIdNotFound', async () => {
        const other = await t.createAccount();
        const otherKey = await t.server.services.apiKeys.create(other.id);
        assert.equal((await cvmClient(t.url, otherKey).DescribeRegions()).TotalCount, 2);
        await t.server.services.accounts.disable(other.id);
        assert.equal(
          await sdkErrorCode(() => cvmClient(t.url, otherKey).DescribeRegions()),
          'AuthFailure.SecretIdNotFound',
        );
      });

      it('timestamp 6 minutes off: AuthFailure.SignatureExpire (TC3 both ways, v1)', async () => {
        const now = Math.floor(Date.now() / 1000);
        for (const timestamp of [now - 360, now + 360]) {
          const res = await tc3Request(t.url, key, { action: 'DescribeRegions', timestamp });
          assert.equal(res.body.Response.Error?.Code, 'AuthFailure.SignatureExpire');
          const v1 = await paramsRequest(
            t.url,
            key,
            { Action: 'DescribeRegions', Version: '2017-03-12' },
            { timestamp },
          );
          assert.equal(v1.body.Response.Error?.Code, 'AuthFailure.SignatureExpire');
        }
        // Four minutes is within the window.
        const fine = await tc3Request(t.url, key, { action: 'DescribeRegions', timestamp: now - 240 });
        assert.equal(fine.body.Response.Error, undefined);
      });

      it('replayed v1 nonce: refused with AuthFailure.SignatureFailure; a fresh nonce passes', async () => {
        const params = { Action: 'DescribeRegions', Version: '2017-03-12' };
        const timestamp = Math.floor(Date.now() / 1000);
        const first = await paramsRequest(t.url, key, params, { nonce: '4242', timestamp });
        assert.equal(first.body.Response.Error, undefined);
        const replay = await paramsRequest(t.url, key, params, { nonce: '4242', timestamp });
        assert.equal(replay.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');
        assert.match(replay.body.Response.Error?.Message ?? '', /replay/);
        const fresh = await paramsRequest(t.url, key, params, { nonce: '4243', timestamp });
        assert.equal(fresh.body.Response.Error, undefined);
      });

      it('v1: a parameter added after signing fails; a bad signature does not burn the nonce', async () => {
        const params = { Action: 'DescribeRegions', Version: '2017-03-12' };
        const tampered = await paramsRequest(t.url, key, params, {
          nonce: '777',
          unsigned: { Region: 'ap-shanghai' },
        });
        assert.equal(tampered.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');
        const genuine = await paramsRequest(t.url, key, params, { nonce: '777' });
        assert.equal(genuine.body.Response.Error, undefined);
      });

      it('TC3 mutations: one body byte, the query, the signed host each fail', async () => {
        const body = '{}';
        const ok = await tc3Request(t.url, key, { action: 'DescribeRegions', body });
        assert.equal(ok.body.Response.Error, undefined);
        const changedBody = await tc3Request(t.url, key, {
          action: 'DescribeRegions',
          body: '{ }',
          sentBody: '{\t}',
        });
        assert.equal(changedBody.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');
        const host = await tc3Request(t.url, key, { action: 'DescribeRegions', signedHost: 'evil.example' });
        assert.equal(host.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');
        // The query is signed: a GET whose query differs from the signed one fails.
        const q = await tc3Request(t.url, key, {
          action: 'DescribeRegions',
          method: 'GET',
          query: 'Foo=1',
          sentQuery: 'Foo=2',
        });
        assert.equal(q.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');
        const signedQuery = await tc3Request(t.url, key, {
          action: 'DescribeRegions',
          method: 'GET',
          query: 'Foo=1',
        });
        assert.equal(
          signedQuery.body.Response.Error?.Code,
          'UnknownParameter',
          'a signed query reaches the action',
        );
      });

      it('no credentials at all, and a malformed Authorization header', async () => {
        const none = await fetch(`${t.url}/`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-tc-action': 'DescribeRegions',
            'x-tc-version': '2017-03-12',
          },
          body: '{}',
        });
        assert.equal(
          ((await none.json()) as { Response: { Error: { Code: string } } }).Response.Error.Code,
          'AuthFailure.InvalidAuthorization',
        );
        const malformed = await fetch(`${t.url}/`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-tc-action': 'DescribeRegions',
            'x-tc-version': '2017-03-12',
            authorization: 'TC3-HMAC-SHA256 Credential=x',
          },
          body: '{}',
        });
        assert.equal(
          ((await malformed.json()) as { Response: { Error: { Code: string } } }).Response.Error.Code,
          'AuthFailure.InvalidAuthorization',
        );
      });
    });
  });
});
