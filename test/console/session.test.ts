// Console sessions over real HTTP on every database: login by account ID or name, the cookie's attributes,
// only a hash stored, logout, expiry, password change and disabled accounts ending sessions, the failed-login
// limits shared with Keystone (429 + Retry-After), CSRF refusals and the security headers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { forEachDatabase } from '../helpers/databases.js';
import { passwordAuthBody, startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';
import { API, assertRefused, consoleCall, consoleLogin, errorOf } from '../helpers/console.js';

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function assertSecurityHeaders(headers: Headers): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(headers.get(name), value, name);
}

const IDLE_SECONDS = 600;
const hashOf = (login: { cookie: string }) =>
  createHash('sha256')
    .update(login.cookie.split('=')[1] as string)
    .digest('hex');

forEachDatabase((target) => {
  describe(`console sessions on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let alice: TestAccount;

    before(async () => {
      t = await startTestServer({
        target,
        // Not the default idle timeout (1800), so the idle test shows the setting is the one enforced.
        overrides: { 'login.maxFailuresPerAccount': '3', 'console.sessionIdleSeconds': String(IDLE_SECONDS) },
      });
      alice = await t.createAccount();
    });
    after(() => t?.close());

    it('logs in by account ID and by account name; the cookie is HttpOnly, SameSite=Strict, Path=/console', async () => {
      const byId = await consoleLogin(t, alice, alice.id);
      const byName = await consoleLogin(t, alice, alice.name);
      for (const login of [byId, byName]) {
        const attributes = login.setCookie.split(';').map((a) => a.trim().toLowerCase());
        assert.ok(attributes.includes('httponly'), login.setCookie);
        assert.ok(attributes.includes('samesite=strict'), login.setCookie);
        assert.ok(attributes.includes('path=/console'), login.setCookie);
        assert.ok(!attributes.includes('secure'), 'plain http: no Secure attribute');
        assert.ok(
          attributes.some((a) => a.startsWith('expires=')),
          login.setCookie,
        );
      }
      assert.notEqual(byId.cookie, byName.cookie);
      assert.notEqual(byId.csrf, byName.csrf);

      const session = await consoleCall(t, byName, 'GET', '/session');
      assert.equal(session.status, 200);
      assert.deepEqual(session.body, {
        account: {
          id: alice.id,
          name: alice.name,
          isAdmin: false,
          createdAt: (session.body as { account: { createdAt: string } }).account.createdAt,
        },
        csrfToken: byName.csrf,
      });
      const account = await consoleCall(t, byId, 'GET', '/account');
      assert.equal((account.body as { id: string }).id, alice.id);
    });

    it('stores only the sha256 of the session token', async () => {
      const login = await consoleLogin(t, alice);
      const token = login.cookie.split('=')[1] as string;
      const rows = await t.server.db.kysely
        .selectFrom('console_sessions')
        .selectAll()
        .where('account_id', '=', alice.id)
        .execute();
      const hashes = rows.map((r) => r.token_hash);
      assert.ok(hashes.includes(createHash('sha256').update(token).digest('hex')));
      assert.ok(!JSON.stringify(rows).includes(token), 'the token itself is nowhere in the table');
    });

    it('refuses wrong passwords, unknown logins and missing sessions alike (401), and bad bodies (400)', async () => {
      const bob = await t.createAccount();
      const wrong = await t.request('POST', `${API}/session`, {
        body: { login: bob.id, password: 'nope-nope' },
      });
      assertRefused(wrong, 401, 'Unauthenticated');
      assert.equal(wrong.headers.get('set-cookie'), null);
      const unknown = await t.request('POST', `${API}/session`, {
        body: { login: 'nobody-here', password: 'whatever1' },
      });
      assertRefused(unknown, 401, 'Unauthenticated');
      assert.equal(errorOf(unknown).message, errorOf(wrong).message, 'no hint which part was wrong');
      assertRefused(await consoleCall(t, undefined, 'GET', '/session'), 401, 'Unauthenticated');
      assertRefused(
        await consoleCall(t, undefined, 'GET', '/account', {
          headers: { cookie: 'imageshare_session=forged' },
        }),
        401,
        'Unauthenticated',
      );
      const noPassword = await t.request('POST', `${API}/session`, { body: { login: bob.id } });
      const details = assertRefused(noPassword, 400, 'InvalidInput');
      assert.equal(details.field, 'body.password');
      assert.match(errorOf(noPassword).message, /password/);
      const extra = await t.request('POST', `${API}/session`, {
        body: { login: bob.id, password: bob.password, admin: true },
      });
      assert.equal(assertRefused(extra, 400, 'InvalidInput').field, 'body.admin');
      const nul = await t.request('POST', `${API}/session`, {
        body: { login: 'name\u0000x', password: bob.password },
      });
      assert.equal(assertRefused(nul, 400, 'InvalidInput').field, 'body.login');
      const notJson = await t.request('POST', `${API}/session`, {
        body: '{"login":',
        headers: { 'content-type': 'application/json' },
      });
      assertRefused(notJson, 400, 'InvalidInput');
    });

    it('locks out after the failed-login limit shared with Keystone: 429 with Retry-After, even to the right password', async () => {
      const carol = await t.createAccount();
      // Two failures through Keystone and two through the console count against one limit (3).
      for (let i = 0; i < 2; i++) {
        const res = await t.request('POST', '/identity/v3/auth/tokens', {
          body: passwordAuthBody({ id: carol.id, password: 'wrong-password' }),
        });
        assert.equal(res.status, 401);
      }
      const third = await t.request('POST', `${API}/session`, {
        body: { login: carol.name, password: 'bad-1' },
      });
      assertRefused(third, 401, 'Unauthenticated');
      const fourth = await t.request('POST', `${API}/session`, {
        body: { login: carol.id, password: 'bad-2' },
      });
      const details = assertRefused(fourth, 429, 'RateLimited');
      const right = await t.request('POST', `${API}/session`, {
        body: { login: carol.id, password: carol.password },
      });
      assertRefused(right, 429, 'RateLimited');
      const retryAfter = Number(right.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 300, `Retry-After ${right.headers.get('retry-after')}`);
      assert.equal(typeof details.retryAfterSeconds, 'number');
      assert.equal(right.headers.get('set-cookie'), null);
      const keystone = await t.request('POST', '/identity/v3/auth/tokens', {
        body: passwordAuthBody({ id: carol.id, password: carol.password }),
      });
      assert.equal(keystone.status, 429, 'the console failures count for Keystone too');
    });

    it('logout revokes the session server-side and clears the cookie', async () => {
      const login = await consoleLogin(t, alice);
      const other = await consoleLogin(t, alice);
      const out = await consoleCall(t, login, 'DELETE', '/session');
      assert.equal(out.status, 204);
      const cleared = out.headers.get('set-cookie') ?? '';
      assert.match(cleared, /^imageshare_session=;/);
      assert.match(cleared, /Expires=Thu, 01 Jan 1970/i);
      assert.match(cleared, /Path=\/console/);
      assertRefused(await consoleCall(t, login, 'GET', '/session'), 401, 'Unauthenticated');
      assertRefused(await consoleCall(t, login, 'POST', '/account/api-keys'), 401, 'Unauthenticated');
      assert.equal((await consoleCall(t, other, 'GET', '/session')).status, 200, 'other sessions stay');
    });

    it('an expired session no longer works', async () => {
      const login = await consoleLogin(t, alice);
      assert.equal((await consoleCall(t, login, 'GET', '/account')).status, 200);
      const token = login.cookie.split('=')[1] as string;
      await t.server.db.kysely
        .updateTable('console_sessions')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('token_hash', '=', createHash('sha256').update(token).digest('hex'))
        .execute();
      const refused = await consoleCall(t, login, 'GET', '/account');
      assertRefused(refused, 401, 'Unauthenticated');
      assert.equal(errorOf(refused).details.reason, 'sessionExpired', 'the console can say "expired"');
    });

    // The stored last use is moved back instead of waiting: the server reads it from the database on every
    // call, as every node sharing the database does.
    it('a session unused for console.sessionIdleSeconds ends (stored: every node agrees); each use extends it', async () => {
      const login = await consoleLogin(t, alice);
      const setLastSeen = (secondsAgo: number) =>
        t.server.db.kysely
          .updateTable('console_sessions')
          .set({ last_seen_at: new Date(Date.now() - secondsAgo * 1000).toISOString() })
          .where('token_hash', '=', hashOf(login))
          .execute();
      const lastSeen = async () =>
        Date.parse(
          (
            await t.server.db.kysely
              .selectFrom('console_sessions')
              .select('last_seen_at')
              .where('token_hash', '=', hashOf(login))
              .executeTakeFirstOrThrow()
          ).last_seen_at ?? '',
        );

      // Just inside the idle timeout: accepted, and the use is recorded (the clock starts again).
      await setLastSeen(IDLE_SECONDS - 5);
      assert.equal((await consoleCall(t, login, 'GET', '/account')).status, 200);
      assert.ok(Date.now() - (await lastSeen()) < 5000, 'the use moved last_seen_at to now');
      // Used a minute ago: still fine, and not written again at once (at most one write per interval).
      await setLastSeen(30);
      const before = await lastSeen();
      assert.equal((await consoleCall(t, login, 'GET', '/session')).status, 200);
      assert.equal(await lastSeen(), before);

      // Idle for longer than the configured timeout (shorter than the default): refused, "expired", and a
      // refused call does not revive it.
      await setLastSeen(IDLE_SECONDS + 1);
      for (const path of ['/account', '/session']) {
        const refused = await consoleCall(t, login, 'GET', path);
        assertRefused(refused, 401, 'Unauthenticated');
        assert.equal(errorOf(refused).details.reason, 'sessionExpired');
      }
      const write = await consoleCall(t, login, 'POST', '/account/api-keys');
      assertRefused(write, 401, 'Unauthenticated');
      // A session that never existed is not "expired": nothing to hint at.
      const unknown = await consoleCall(
        t,
        { ...login, cookie: `imageshare_session=${'x'.repeat(43)}` },
        'GET',
        '/session',
      );
      assertRefused(unknown, 401, 'Unauthenticated');
      assert.equal(errorOf(unknown).details.reason, undefined);
    });

    it('a password change ends every session and Keystone token of the account; the old password stops working', async () => {
      const dave = await t.createAccount();
      const login = await consoleLogin(t, dave);
      const second = await consoleLogin(t, dave, dave.name);
      const token = await t.token(dave);

      const wrongCurrent = await consoleCall(t, login, 'PUT', '/account/password', {
        body: { currentPassword: 'not-the-password', newPassword: 'a-new-password-1' },
      });
      assertRefused(wrongCurrent, 401, 'Unauthenticated');
      const tooShort = await consoleCall(t, login, 'PUT', '/account/password', {
        body: { currentPassword: dave.password, newPassword: 'abc' },
      });
      assertRefused(tooShort, 400, 'InvalidInput');
      assert.equal(
        (await consoleCall(t, login, 'GET', '/session')).status,
        200,
        'refused changes end nothing',
      );

      const changed = await consoleCall(t, login, 'PUT', '/account/password', {
        body: { currentPassword: dave.password, newPassword: 'a-new-password-1' },
      });
      assert.equal(changed.status, 204, changed.text);
      assertRefused(await consoleCall(t, login, 'GET', '/session'), 401, 'Unauthenticated');
      assertRefused(await consoleCall(t, second, 'GET', '/session'), 401, 'Unauthenticated');
      assert.equal((await t.request('GET', '/v2/images', { token })).status, 401, 'Keystone token revoked');
      const old = await t.request('POST', `${API}/session`, {
        body: { login: dave.id, password: dave.password },
      });
      assertRefused(old, 401, 'Unauthenticated');
      await consoleLogin(t, { ...dave, password: 'a-new-password-1' });
    });

    it('disabling the account ends its sessions', async () => {
      const erin = await t.createAccount();
      const login = await consoleLogin(t, erin);
      await t.server.services.accounts.disable(erin.id);
      assertRefused(await consoleCall(t, login, 'GET', '/account'), 401, 'Unauthenticated');
      // Enabling again does not bring the revoked session back.
      await t.server.services.accounts.enable(erin.id);
      assertRefused(await consoleCall(t, login, 'GET', '/account'), 401, 'Unauthenticated');
      await consoleLogin(t, erin);
    });

    it('refuses state-changing calls without the CSRF token, with a wrong one, or from another site', async () => {
      const login = await consoleLogin(t, alice);
      const other = await consoleLogin(t, alice);
      const create = (headers: Record<string, string | undefined>, noCsrf = false) =>
        consoleCall(t, login, 'POST', '/account/api-keys', { headers, noCsrf });

      assertRefused(await create({}, true), 403, 'CsrfRejected');
      assertRefused(await create({ 'x-csrf-token': 'not-the-token' }), 403, 'CsrfRejected');
      assertRefused(await create({ 'x-csrf-token': other.csrf }), 403, 'CsrfRejected');
      assertRefused(await create({ origin: 'https://evil.example' }), 403, 'CsrfRejected');
      assertRefused(await create({ 'sec-fetch-site': 'cross-site' }), 403, 'CsrfRejected');
      assert.equal(
        (await consoleCall(t, login, 'GET', '/account/api-keys')).status,
        200,
        'reads need no token',
      );
      const keys = await consoleCall(t, login, 'GET', '/account/api-keys');
      assert.deepEqual((keys.body as { apiKeys: unknown[] }).apiKeys, [], 'no refused call created a key');

      const sameOrigin = await create({ origin: t.url, 'sec-fetch-site': 'same-origin' });
      assert.equal(sameOrigin.status, 201, sameOrigin.text);
      // The login form itself refuses other sites (login CSRF).
      const crossLogin = await t.request('POST', `${API}/session`, {
        body: { login: alice.id, password: alice.password },
        headers: { origin: 'https://evil.example' },
      });
      assertRefused(crossLogin, 403, 'CsrfRejected');
      assert.equal(crossLogin.headers.get('set-cookie'), null);
      const crossSiteLogin = await t.request('POST', `${API}/session`, {
        body: { login: alice.id, password: alice.password },
        headers: { 'sec-fetch-site': 'cross-site' },
      });
      assertRefused(crossSiteLogin, 403, 'CsrfRejected');
    });

    it('sends the security headers on every console response', async () => {
      const login = await consoleLogin(t, alice);
      assertSecurityHeaders((await consoleCall(t, login, 'GET', '/account')).headers);
      assertSecurityHeaders((await consoleCall(t, undefined, 'GET', '/account')).headers);
      assertSecurityHeaders((await consoleCall(t, login, 'GET', '/no-such-call')).headers);
      assertSecurityHeaders((await t.request('GET', `${API}/openapi.json`)).headers);
      assertSecurityHeaders((await t.request('GET', '/console/')).headers);
      assertSecurityHeaders((await t.request('GET', '/console/images/img-abcdefgh')).headers);
    });
  });

  describe(
    `console session cookie over https on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      let t: TestServer;
      before(async () => {
        t = await startTestServer({
          target,
          overrides: { 'server.publicUrl': 'https://console.example.com' },
        });
      });
      after(() => t?.close());

      it('marks the cookie Secure when the console is served over https', async () => {
        const account = await t.createAccount();
        // A TLS-terminating proxy in front (publicUrl https): the server itself still listens on plain http.
        const res = await fetch(`http://127.0.0.1:${t.config.server.port}${API}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ login: account.id, password: account.password }),
        });
        assert.equal(res.status, 200);
        const setCookie = res.headers.get('set-cookie') ?? '';
        assert.ok(
          setCookie
            .split(';')
            .map((a) => a.trim())
            .includes('Secure'),
          setCookie,
        );
      });
    },
  );
});
