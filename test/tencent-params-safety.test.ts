// Security regressions on the Tencent surfaces, run against an in-process server (so the test process's own
// Object.prototype is the server's):
// - prototype pollution: flattened names (`__proto__.visibility`, `constructor.prototype.x`) in a query, a form
//   body, the legacy API or a JSON body used to write Object.prototype, unauthenticated; afterwards every new
//   Glance image inherited `visibility: community`;
// - TC3 SignedHeaders: the verifier tried 2^n renderings; 30 repeated names is refused at once (under the old
//   verifier this request never finished, so no timing needs asserting).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import { paramsRequest, tc3Request, type Key, type RawResponse } from './helpers/tencent.js';
import { utcDate } from '../src/http/tencent/signature/tc3.js';

const PROBES = ['visibility', 'x', 'y', 'polluted'] as const;

function assertPrototypeClean(): void {
  const probe = {} as Record<string, unknown>;
  for (const name of PROBES) {
    assert.equal(probe[name], undefined, `Object.prototype.${name} was written`);
    assert.equal(Object.hasOwn(Object.prototype, name), false, `Object.prototype.${name} was written`);
  }
}

function errorCode(res: RawResponse): string | undefined {
  assert.equal(res.status, 200);
  assert.equal(res.contentType, 'application/json');
  return res.body.Response.Error?.Code;
}

async function raw(url: string, init?: RequestInit): Promise<RawResponse> {
  const res = await fetch(url, init);
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: JSON.parse(await res.text()) as RawResponse['body'],
  };
}

const REFUSED = /^(InvalidParameter|AuthFailure(\..+)?|MissingParameter)$/;

forEachDatabase((target) => {
  describe(`Tencent parameter safety on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let owner: TestAccount;
    let ownerKey: Key;

    before(async () => {
      t = await startTestServer({ target });
      owner = await t.createAccount();
      ownerKey = await t.server.services.apiKeys.create(owner.id);
    });
    after(async () => {
      // Should a regression pollute, do not let it leak into the other tests of this process.
      for (const name of PROBES) delete (Object.prototype as Record<string, unknown>)[name];
      await t.close();
    });

    const polluting = [
      '__proto__.visibility=community',
      'constructor.prototype.visibility=community',
      'Filters.0.__proto__.polluted=1',
      'ImageIds.constructor.prototype.polluted=1',
    ];

    for (const names of polluting) {
      it(`unauthenticated GET / with ${names}: InvalidParameter, Object.prototype untouched`, async () => {
        const res = await raw(`${t.url}/?Action=DescribeRegions&Version=2017-03-12&${names}`);
        assert.equal(errorCode(res), 'InvalidParameter');
        assertPrototypeClean();
      });

      it(`unauthenticated form POST / with ${names}: InvalidParameter, Object.prototype untouched`, async () => {
        const res = await raw(`${t.url}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `Action=DescribeRegions&Version=2017-03-12&${names}`,
        });
        assert.equal(errorCode(res), 'InvalidParameter');
        assertPrototypeClean();
      });

      it(`legacy /v2/index.php with ${names}, unsigned and signed: refused, Object.prototype untouched`, async () => {
        for (const method of ['GET', 'POST'] as const) {
          const query = `Action=DescribeImages&Region=gz&${names}`;
          const unsigned =
            method === 'GET'
              ? await raw(`${t.url}/v2/index.php?${query}`)
              : await raw(`${t.url}/v2/index.php`, {
                  method,
                  headers: { 'content-type': 'application/x-www-form-urlencoded' },
                  body: query,
                });
          const legacy = unsigned.body as unknown as { code: number; codeDesc: string };
          assert.notEqual(legacy.code, 0);
          assert.match(legacy.codeDesc, REFUSED);
          // Signed by a real key: authentication passes, the parameters are refused.
          const [name, value] = names.split('=') as [string, string];
          const signed = await paramsRequest(
            t.url,
            ownerKey,
            { Action: 'DescribeImages', Region: 'gz', [name]: value },
            { path: '/v2/index.php', method },
          );
          const body = signed.body as unknown as { code: number; codeDesc: string };
          assert.equal(body.codeDesc, 'InvalidParameter');
          assertPrototypeClean();
        }
      });

      it(`signed calls (v1 form, TC3 GET) with ${names}: InvalidParameter`, async () => {
        const [name, value] = names.split('=') as [string, string];
        const v1 = await paramsRequest(t.url, ownerKey, {
          Action: 'DescribeImages',
          Version: '2017-03-12',
          Region: 'ap-guangzhou',
          [name]: value,
        });
        assert.equal(errorCode(v1), 'InvalidParameter');
        const get = await tc3Request(t.url, ownerKey, {
          action: 'DescribeImages',
          method: 'GET',
          query: names,
        });
        assert.equal(errorCode(get), 'InvalidParameter');
        assertPrototypeClean();
      });
    }

    it('a signed TC3 JSON body with __proto__ and constructor.prototype: InvalidParameter', async () => {
      for (const body of [
        '{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}}}',
        '{"Filters":[{"Name":"image-id","Values":["x"],"__proto__":{"x":1}}]}',
        '{"constructor":{"prototype":{"y":1}}}',
      ]) {
        const res = await tc3Request(t.url, ownerKey, { action: 'DescribeImages', body });
        assert.equal(errorCode(res), 'InvalidParameter', body);
      }
      // Unauthenticated: refused too (before or at authentication).
      const res = await raw(`${t.url}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tc-action': 'DescribeRegions',
          'x-tc-version': '2017-03-12',
        },
        body: '{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}}}',
      });
      assert.match(errorCode(res) ?? '', REFUSED);
      assertPrototypeClean();
    });

    it('after all of the above, a new Glance image is still visibility "shared"', async () => {
      // The request the review used, once more right before the check.
      await raw(`${t.url}/?Action=DescribeRegions&Version=2017-03-12&__proto__.visibility=community`);
      assertPrototypeClean();
      const token = await t.token(owner);
      const res = await t.request('POST', '/v2/images', { token, body: { name: 'after-pollution' } });
      assert.equal(res.status, 201);
      assert.equal((res.body as { visibility: string }).visibility, 'shared');
    });

    it('names of Object members that are not unsafe are ordinary unknown parameters', async () => {
      const res = await tc3Request(t.url, ownerKey, {
        action: 'DescribeImages',
        method: 'GET',
        query: 'toString=1&hasOwnProperty.0=x',
      });
      assert.equal(errorCode(res), 'UnknownParameter');
    });

    it('TC3 with 30 repeated signed headers from a real SecretId is refused at once', async () => {
      const timestamp = Math.floor(Date.now() / 1000);
      const signedHeaders = ['content-type', 'host', ...Array<string>(30).fill('x-a')].join(';');
      const res = await raw(`${t.url}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tc-action': 'DescribeRegions',
          'x-tc-version': '2017-03-12',
          'x-tc-timestamp': String(timestamp),
          // Differs from its lowercase: the old verifier had two renderings of each of the 30 entries.
          'x-a': 'X',
          authorization: `TC3-HMAC-SHA256 Credential=${ownerKey.secretId}/${utcDate(timestamp)}/cvm/tc3_request, SignedHeaders=${signedHeaders}, Signature=${'0'.repeat(64)}`,
        },
        body: '{}',
      });
      assert.equal(errorCode(res), 'AuthFailure.InvalidAuthorization');
      // 17 distinct names: over the limit as well.
      const distinct = ['content-type', 'host', ...Array.from({ length: 15 }, (_, i) => `x-h${i}`)].join(';');
      const over = await raw(`${t.url}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tc-action': 'DescribeRegions',
          'x-tc-version': '2017-03-12',
          'x-tc-timestamp': String(timestamp),
          authorization: `TC3-HMAC-SHA256 Credential=${ownerKey.secretId}/${utcDate(timestamp)}/cvm/tc3_request, SignedHeaders=${distinct}, Signature=${'0'.repeat(64)}`,
        },
        body: '{}',
      });
      assert.equal(errorCode(over), 'AuthFailure.InvalidAuthorization');
    });
  });
});
