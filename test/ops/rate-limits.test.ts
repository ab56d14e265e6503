// Per-account rate limits on writes (issue 11), on every surface over real HTTP: a burst of writes, then the
// account's next write is refused in its surface's dialect (429 + Retry-After for Glance, Keystone and the
// console; RequestLimitExceeded for Tencent API 3.0 and the legacy API), with nothing written by the refused
// request; reads and other accounts go on. Configured tiny here (burst 3, one write per 100 s).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from '../helpers/databases.js';
import { passwordAuthBody, startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';
import { paramsRequest, tc3Request, createActiveImage, type Key } from '../helpers/tencent.js';
import { API, consoleCall, consoleLogin } from '../helpers/console.js';

const BURST = 3;

function assertRetryAfter(headers: Headers): void {
  const seconds = Number(headers.get('retry-after'));
  assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 100, `Retry-After ${seconds}`);
}

forEachDatabase((target) => {
  describe(`write rate limits on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;

    before(async () => {
      t = await startTestServer({
        target,
        overrides: { 'rateLimits.writes.perSecond': '0.01', 'rateLimits.writes.burst': String(BURST) },
      });
    });
    after(() => t.close());

    const countImages = async (owner: string) =>
      Number(
        (
          await t.server.db.kysely
            .selectFrom('images')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('owner_id', '=', owner)
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('Glance: the write after the burst is 429 + Retry-After; nothing is written; reads and others go on', async () => {
      const alice = await t.createAccount();
      const bob = await t.createAccount();
      // Issuing the token is the first write.
      const token = await t.token(alice);
      for (let i = 1; i < BURST; i++) {
        assert.equal(
          (await t.request('POST', '/v2/images', { token, body: { name: `ok-${i}` } })).status,
          201,
        );
      }
      const before = await countImages(alice.id);
      const refused = await t.request('POST', '/v2/images', { token, body: { name: 'too-many' } });
      assert.equal(refused.status, 429);
      assertRetryAfter(refused.headers);
      assert.match(refused.text, /Too many changes from this account/);
      assert.equal(await countImages(alice.id), before);
      assert.equal((await t.request('GET', '/v2/images', { token })).status, 200);
      const bobToken = await t.token(bob);
      assert.equal(
        (await t.request('POST', '/v2/images', { token: bobToken, body: { name: 'b' } })).status,
        201,
      );
    });

    it('Keystone: issuing tokens is a write; past the burst a login is 429 + Retry-After', async () => {
      const carol = await t.createAccount();
      const login = () =>
        t.request('POST', '/identity/v3/auth/tokens?nocatalog', {
          body: passwordAuthBody({ id: carol.id, password: carol.password }),
        });
      for (let i = 0; i < BURST; i++) assert.equal((await login()).status, 201);
      const refused = await login();
      assert.equal(refused.status, 429);
      assertRetryAfter(refused.headers);
      assert.equal((refused.body as { error: { code: number } }).error.code, 429);
      const tokens = await t.server.db.kysely
        .selectFrom('tokens')
        .select('account_id')
        .where('account_id', '=', carol.id)
        .execute();
      assert.equal(tokens.length, BURST);
    });

    it('console: the login and writes share the burst; then 429 + Retry-After in the console envelope', async () => {
      const dave = await t.createAccount();
      const session = await consoleLogin(t, dave);
      const create = (name: string) =>
        consoleCall(t, session, 'POST', '/images', {
          body: { region: 'ap-guangzhou', name, diskFormat: 'raw', containerFormat: 'bare' },
        });
      for (let i = 1; i < BURST; i++) assert.equal((await create(`c-${i}`)).status, 201);
      const refused = await create('too-many');
      assert.equal(refused.status, 429);
      assertRetryAfter(refused.headers);
      const error = (refused.body as { error: { code: string; details: { retryAfterSeconds: number } } })
        .error;
      assert.equal(error.code, 'RateLimited');
      assert.ok(error.details.retryAfterSeconds >= 1);
      assert.equal(await countImages(dave.id), BURST - 1);
      assert.equal((await consoleCall(t, session, 'GET', '/images')).status, 200);
      assert.equal(
        (await t.request('GET', `${API}/session`, { headers: { cookie: session.cookie } })).status,
        200,
      );
    });

    it('Tencent API 3.0 and legacy: RequestLimitExceeded after the burst; Describe* still answer', async () => {
      const erin = await t.createAccount();
      const key: Key = await t.server.services.apiKeys.create(erin.id);
      const ctx = {
        caller: { accountId: erin.id, isAdmin: false },
        region: 'ap-guangzhou',
        surface: 'tencent',
      } as const;
      const imageId = await createActiveImage(t.server.services, ctx, 'tc');
      const rename = (name: string) =>
        tc3Request(t.url, key, {
          action: 'ModifyImageAttribute',
          body: JSON.stringify({ ImageId: imageId, ImageName: name }),
        });
      for (let i = 0; i < BURST; i++) {
        const ok = await rename(`n${i}`);
        assert.equal(ok.body.Response.Error, undefined, JSON.stringify(ok.body));
      }
      const refused = await rename('refused');
      assert.equal(refused.status, 200);
      assert.equal(refused.body.Response.Error?.Code, 'RequestLimitExceeded');
      assert.match(refused.body.Response.Error?.Message ?? '', /try again in \d+ second/);
      const image = await t.server.services.images.get(ctx, imageId);
      assert.equal(image.name, `n${BURST - 1}`, 'the refused rename changed nothing');

      const legacy = await paramsRequest(
        t.url,
        key,
        { Action: 'ModifyImageAttributes', Region: 'gz', imageId, imageName: 'legacy' },
        { path: '/v2/index.php' },
      );
      const body = legacy.body as unknown as { code: number; codeDesc: string };
      assert.equal(body.codeDesc, 'RequestLimitExceeded');
      assert.equal(body.code, 4400);

      const described = await tc3Request(t.url, key, { action: 'DescribeImages', body: '{}' });
      assert.equal(described.body.Response.Error, undefined);
    });
  });
});

describe('write rate limits: off with perSecond 0', () => {
  it('rateLimits.writes.perSecond 0 lets every write through', async () => {
    const { databaseTargets } = await import('../helpers/databases.js');
    const t = await startTestServer({
      target: databaseTargets[0]!,
      overrides: { 'rateLimits.writes.perSecond': '0', 'rateLimits.writes.burst': '1' },
    });
    try {
      const frank: TestAccount = await t.createAccount();
      const token = await t.token(frank);
      for (let i = 0; i < 5; i++) {
        assert.equal((await t.request('POST', '/v2/images', { token, body: { name: `f${i}` } })).status, 201);
      }
    } finally {
      await t.close();
    }
  });
});
