// The Keystone v3 subset over a real server, on SQLite and PostgreSQL: discovery, logins by ID and by name,
// the uniform 401s, expiry, revocation, validation, projects/users, malformed bodies, and a token issued by
// one server process validated by a second one on the same database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '../../src/domain/errors.js';
import { forEachDatabase } from '../helpers/databases.js';
import {
  httpRequest,
  passwordAuthBody,
  spawnServer,
  startTestServer,
  type TestAccount,
  type TestServer,
} from '../helpers/server.js';

const UNAUTHORIZED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};
const KEYSTONE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

interface TokenBody {
  token: {
    methods: string[];
    user: { id: string; name: string; domain: { id: string; name: string } };
    project: { id: string; name: string; domain: { id: string; name: string } };
    roles: { id: string; name: string }[];
    catalog?: {
      type: string;
      endpoints: { interface: string; region: string; region_id: string; url: string }[];
    }[];
    expires_at: string;
    issued_at: string;
    audit_ids: string[];
    is_domain: boolean;
  };
}

function login(t: TestServer, body: unknown, query = '') {
  return t.request('POST', `/identity/v3/auth/tokens${query}`, { body });
}

function assertUnauthorized(res: { status: number; headers: Headers; body: unknown }, t: TestServer) {
  assert.equal(res.status, 401);
  assert.deepEqual(res.body, UNAUTHORIZED);
  assert.equal(res.headers.get('www-authenticate'), `Keystone uri="${t.url}/identity/v3"`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.headers.get('x-subject-token'), null);
}

forEachDatabase((target) => {
  describe(`keystone on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let alice: TestAccount;
    let bob: TestAccount;

    before(async () => {
      t = await startTestServer({ target });
      alice = await t.createAccount();
      bob = await t.createAccount();
    });
    after(async () => t?.close());

    it('answers version discovery at /identity/ (300) and /identity/v3 (200)', async () => {
      const root = await t.request('GET', '/identity/');
      assert.equal(root.status, 300);
      assert.equal(root.headers.get('location'), `${t.url}/identity/v3/`);
      const values = (root.body as { versions: { values: { id: string; links: { href: string }[] }[] } })
        .versions.values;
      assert.equal(values[0]?.id, 'v3.14');
      assert.equal(values[0]?.links[0]?.href, `${t.url}/identity/v3/`);
      for (const path of ['/identity/v3', '/identity/v3/']) {
        const v3 = await t.request('GET', path);
        assert.equal(v3.status, 200);
        assert.equal((v3.body as { version: { id: string } }).version.id, 'v3.14');
      }
      assert.match(root.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
    });

    it('logs in by user ID scoped to the project by ID', async () => {
      const res = await login(
        t,
        passwordAuthBody({ id: alice.id, password: alice.password }, { project: { id: alice.id } }),
      );
      assert.equal(res.status, 201);
      const token = res.headers.get('x-subject-token') ?? '';
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      const body = (res.body as TokenBody).token;
      assert.deepEqual(body.methods, ['password']);
      assert.deepEqual(body.user, {
        domain: { id: 'default', name: 'Default' },
        id: alice.id,
        name: alice.name,
        password_expires_at: null,
      });
      assert.deepEqual(body.project, {
        domain: { id: 'default', name: 'Default' },
        id: alice.id,
        name: alice.name,
      });
      assert.deepEqual(body.roles.map((r) => r.name).sort(), ['member', 'reader']);
      assert.match(body.expires_at, KEYSTONE_TIME);
      assert.match(body.issued_at, KEYSTONE_TIME);
      const ttl = Date.parse(body.expires_at) - Date.parse(body.issued_at);
      assert.equal(ttl, 3600 * 1000);
      assert.equal(body.audit_ids.length, 1);
      assert.equal(body.is_domain, false);

      const image = body.catalog?.find((s) => s.type === 'image');
      assert.ok(image);
      assert.deepEqual(
        image.endpoints.filter((e) => e.interface === 'public').map((e) => [e.region, e.region_id, e.url]),
        [
          ['ap-guangzhou', 'ap-guangzhou', t.url],
          ['ap-shanghai', 'ap-shanghai', `${t.url}/regions/ap-shanghai`],
        ],
      );
      assert.deepEqual([...new Set(image.endpoints.map((e) => e.interface))].sort(), [
        'admin',
        'internal',
        'public',
      ]);
      const identity = body.catalog?.find((s) => s.type === 'identity');
      assert.equal(identity?.endpoints[0]?.url, `${t.url}/identity/v3/`);

      // The token works for the auth function every surface uses.
      assert.deepEqual(await t.server.services.auth.authenticate(token), {
        accountId: alice.id,
        isAdmin: false,
      });
    });

    it('logs in by user name and project name in the Default domain (by id or by name)', async () => {
      for (const domain of [{ name: 'Default' }, { id: 'default' }] as Record<string, string>[]) {
        const res = await login(
          t,
          passwordAuthBody(
            { name: alice.name, password: alice.password, domain },
            { project: { name: alice.name, domain } },
          ),
        );
        assert.equal(res.status, 201, res.text);
        assert.equal((res.body as TokenBody).token.project.id, alice.id);
      }
    });

    it('scopes an unscoped login to the own project, and ?nocatalog omits the catalog', async () => {
      const res = await login(t, passwordAuthBody({ id: bob.id, password: bob.password }), '?nocatalog');
      assert.equal(res.status, 201);
      const body = (res.body as TokenBody).token;
      assert.equal(body.project.id, bob.id);
      assert.equal(body.catalog, undefined);
    });

    it('gives admins the admin role', async () => {
      const res = await login(t, passwordAuthBody({ id: t.admin.id, password: t.admin.password }));
      assert.equal(res.status, 201);
      assert.deepEqual((res.body as TokenBody).token.roles.map((r) => r.name).sort(), [
        'admin',
        'member',
        'reader',
      ]);
      const token = res.headers.get('x-subject-token') ?? '';
      assert.deepEqual(await t.server.services.auth.authenticate(token), {
        accountId: t.admin.id,
        isAdmin: true,
      });
    });

    it('answers every failed login with the same 401', async () => {
      const disabled = await t.createAccount();
      await t.server.services.accounts.disable(disabled.id);
      const cases: [string, unknown][] = [
        ['wrong password', passwordAuthBody({ id: alice.id, password: 'not-the-password' })],
        ['unknown user id', passwordAuthBody({ id: '12345678901', password: alice.password })],
        [
          'unknown user name',
          passwordAuthBody({ name: 'nobody-here', password: 'x', domain: { id: 'default' } }),
        ],
        ['user name without domain', passwordAuthBody({ name: alice.name, password: alice.password })],
        [
          'other domain',
          passwordAuthBody({ name: alice.name, password: alice.password, domain: { name: 'Other' } }),
        ],
        ['disabled account', passwordAuthBody({ id: disabled.id, password: disabled.password })],
        [
          "someone else's project by id",
          passwordAuthBody({ id: alice.id, password: alice.password }, { project: { id: bob.id } }),
        ],
        [
          "someone else's project by name",
          passwordAuthBody(
            { id: alice.id, password: alice.password },
            { project: { name: bob.name, domain: { id: 'default' } } },
          ),
        ],
        [
          'unknown project',
          passwordAuthBody({ id: alice.id, password: alice.password }, { project: { id: '99999' } }),
        ],
        [
          'token method',
          {
            auth: {
              identity: { methods: ['token'], token: { id: 'x' } },
              scope: { project: { id: alice.id } },
            },
          },
        ],
      ];
      for (const [label, body] of cases) {
        const res = await login(t, body);
        assert.equal(res.status, 401, label);
        assertUnauthorized(res, t);
      }
    });

    it('refuses a disabled account its existing tokens', async () => {
      const carol = await t.createAccount();
      const token = await t.token(carol);
      await t.server.services.auth.authenticate(token);
      await t.server.services.accounts.disable(carol.id);
      await assert.rejects(t.server.services.auth.authenticate(token), (err: unknown) => {
        return err instanceof DomainError && err.code === 'Unauthenticated';
      });
      assertUnauthorized(await t.request('GET', `/identity/v3/projects/${carol.id}`, { token }), t);
    });

    it('refuses missing and made-up tokens', async () => {
      for (const token of [undefined, '', 'x'.repeat(43), 'y'.repeat(5000)]) {
        await assert.rejects(t.server.services.auth.authenticate(token), { code: 'Unauthenticated' });
      }
      assertUnauthorized(await t.request('GET', `/identity/v3/projects/${alice.id}`), t);
      assertUnauthorized(await t.request('GET', `/identity/v3/projects/${alice.id}`, { token: 'bogus' }), t);
    });

    it('validates tokens (GET and HEAD) and revokes them (DELETE)', async () => {
      const caller = await t.token(alice);
      const subject = await t.token(alice);
      const got = await t.request('GET', '/identity/v3/auth/tokens', {
        token: caller,
        headers: { 'x-subject-token': subject },
      });
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('x-subject-token'), subject);
      assert.equal((got.body as TokenBody).token.user.id, alice.id);
      assert.ok((got.body as TokenBody).token.catalog);

      const head = await t.request('HEAD', '/identity/v3/auth/tokens', {
        token: caller,
        headers: { 'x-subject-token': subject },
      });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');

      // Another non-admin account's token is "not found" to alice; an admin may see it.
      const bobs = await t.token(bob);
      const foreign = await t.request('GET', '/identity/v3/auth/tokens', {
        token: caller,
        headers: { 'x-subject-token': bobs },
      });
      assert.equal(foreign.status, 404);
      const adminToken = await t.token(t.admin);
      const byAdmin = await t.request('GET', '/identity/v3/auth/tokens', {
        token: adminToken,
        headers: { 'x-subject-token': bobs },
      });
      assert.equal(byAdmin.status, 200);

      const revoked = await t.request('DELETE', '/identity/v3/auth/tokens', {
        token: caller,
        headers: { 'x-subject-token': subject },
      });
      assert.equal(revoked.status, 204);
      const again = await t.request('GET', '/identity/v3/auth/tokens', {
        token: caller,
        headers: { 'x-subject-token': subject },
      });
      assert.equal(again.status, 404);
      assert.deepEqual((again.body as { error: { code: number } }).error.code, 404);
      await assert.rejects(t.server.services.auth.authenticate(subject), { code: 'Unauthenticated' });
      assertUnauthorized(await t.request('GET', `/identity/v3/projects/${alice.id}`, { token: subject }), t);

      // A revoked caller token is a 401, not a 404.
      const asRevokedCaller = await t.request('GET', '/identity/v3/auth/tokens', {
        token: subject,
        headers: { 'x-subject-token': caller },
      });
      assertUnauthorized(asRevokedCaller, t);
      // The caller token itself still works.
      await t.server.services.auth.authenticate(caller);
    });

    it('revokes tokens when the password changes', async () => {
      const dave = await t.createAccount();
      const token = await t.token(dave);
      await t.server.services.accounts.setPassword(dave.id, 'a-new-password');
      await assert.rejects(t.server.services.auth.authenticate(token), { code: 'Unauthenticated' });
      await t.token({ ...dave, password: 'a-new-password' });
    });

    it('shows a non-admin its own project and 403 for any other; admins any existing one', async () => {
      const token = await t.token(alice);
      const own = await t.request('GET', `/identity/v3/projects/${alice.id}`, { token });
      assert.equal(own.status, 200);
      assert.deepEqual(own.body, {
        project: {
          id: alice.id,
          name: alice.name,
          domain_id: 'default',
          enabled: true,
          is_domain: false,
          description: '',
          parent_id: 'default',
          tags: [],
          options: {},
          links: { self: `${t.url}/identity/v3/projects/${alice.id}` },
        },
      });
      const other = await t.request('GET', `/identity/v3/projects/${bob.id}`, { token });
      assert.equal(other.status, 403);
      assert.equal((other.body as { error: { title: string } }).error.title, 'Forbidden');
      assert.equal((await t.request('GET', '/identity/v3/projects/99999', { token })).status, 403);

      const adminToken = await t.token(t.admin);
      const byAdmin = await t.request('GET', `/identity/v3/projects/${bob.id}`, { token: adminToken });
      assert.equal(byAdmin.status, 200);
      assert.equal((byAdmin.body as { project: { name: string } }).project.name, bob.name);
      assert.equal(
        (await t.request('GET', '/identity/v3/projects/99999', { token: adminToken })).status,
        404,
      );

      const byName = await t.request('GET', `/identity/v3/projects?name=${alice.name}`, { token });
      assert.deepEqual(
        (byName.body as { projects: { id: string }[] }).projects.map((p) => p.id),
        [alice.id],
      );
      const othersName = await t.request('GET', `/identity/v3/projects?name=${bob.name}`, { token });
      assert.deepEqual((othersName.body as { projects: unknown[] }).projects, []);
      const adminByName = await t.request('GET', `/identity/v3/projects?name=${bob.name}`, {
        token: adminToken,
      });
      assert.deepEqual(
        (adminByName.body as { projects: { id: string }[] }).projects.map((p) => p.id),
        [bob.id],
      );
    });

    it('shows a user itself', async () => {
      const token = await t.token(alice);
      const self = await t.request('GET', `/identity/v3/users/${alice.id}`, { token });
      assert.equal(self.status, 200);
      assert.equal((self.body as { user: { name: string; domain_id: string } }).user.name, alice.name);
      assert.equal((await t.request('GET', `/identity/v3/users/${bob.id}`, { token })).status, 403);
    });

    it('answers malformed bodies with a Keystone 400', async () => {
      const bodies: [string, string][] = [
        ['not json', '{"auth":'],
        ['no auth', '{}'],
        ['no methods', '{"auth":{"identity":{}}}'],
        ['methods not a list', '{"auth":{"identity":{"methods":{"password":true}}}}'],
        ['password too long', JSON.stringify(passwordAuthBody({ id: alice.id, password: 'x'.repeat(5000) }))],
      ];
      for (const [label, body] of bodies) {
        const res = await t.request('POST', '/identity/v3/auth/tokens', {
          body,
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(res.status, 400, label);
        const error = (res.body as { error: { code: number; title: string; message: string } }).error;
        assert.equal(error.code, 400, label);
        assert.equal(error.title, 'Bad Request', label);
        assert.doesNotMatch(res.text, /at .*\.ts:\d+|stack/i, label);
      }
      const unknown = await t.request('GET', '/identity/v3/no-such-thing');
      assert.equal(unknown.status, 404);
      assert.equal((unknown.body as { error: { code: number } }).error.code, 404);
    });

    it('validates a token issued by this server in a second server process on the same database', async () => {
      const token = await t.token(alice);
      const args =
        target.dialect === 'postgres'
          ? [
              '--data-dir',
              t.database.dataDir,
              '--database-url',
              t.database.url,
              '--database-schema',
              t.database.schema!,
            ]
          : ['--data-dir', t.database.dataDir];
      const second = await spawnServer(args, { IMAGESHARE_LOG__LEVEL: 'warn' });
      try {
        // No admin is bootstrapped again: the database already has accounts.
        assert.ok(!second.stdout.some((line) => line.startsWith('admin account:')));
        const adminToken = await t.token(t.admin);
        const validated = await httpRequest(second.url, 'GET', '/identity/v3/auth/tokens', {
          token: adminToken,
          headers: { 'x-subject-token': token },
        });
        assert.equal(validated.status, 200, validated.text);
        assert.equal((validated.body as TokenBody).token.user.id, alice.id);
        const project = await httpRequest(second.url, 'GET', `/identity/v3/projects/${alice.id}`, { token });
        assert.equal(project.status, 200);

        // A token issued by the second server and revoked there is refused by the first.
        const fromSecond = await httpRequest(second.url, 'POST', '/identity/v3/auth/tokens', {
          body: passwordAuthBody({ id: bob.id, password: bob.password }),
        });
        const bobToken = fromSecond.headers.get('x-subject-token') ?? '';
        assert.deepEqual(await t.server.services.auth.authenticate(bobToken), {
          accountId: bob.id,
          isAdmin: false,
        });
        const revoke = await httpRequest(second.url, 'DELETE', '/identity/v3/auth/tokens', {
          token: bobToken,
          headers: { 'x-subject-token': bobToken },
        });
        assert.equal(revoke.status, 204);
        // This process may have cached bobToken as valid a moment ago: it refuses it within
        // tokens.cacheSeconds (test/keystone/token-cache.test.ts measures the bound with two processes).
        const deadline = Date.now() + t.server.config.tokens.cacheSeconds * 1000 + 1000;
        while (Date.now() < deadline) {
          const refused = await t.server.services.auth.authenticate(bobToken).then(
            () => false,
            () => true,
          );
          if (refused) break;
          await sleep(50);
        }
        await assert.rejects(t.server.services.auth.authenticate(bobToken), { code: 'Unauthenticated' });
      } finally {
        assert.equal(await second.stop(), 0);
      }
    });
  });

  describe(`keystone token expiry on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ target, overrides: { 'tokens.ttlSeconds': '1' } });
    });
    after(async () => t?.close());

    it('refuses a token once it has expired', async () => {
      const erin = await t.createAccount();
      const token = await t.token(erin);
      const other = await t.token(erin);
      await t.server.services.auth.authenticate(token);
      await sleep(1100);
      await assert.rejects(t.server.services.auth.authenticate(token), { code: 'Unauthenticated' });
      assertUnauthorized(await t.request('GET', `/identity/v3/projects/${erin.id}`, { token }), t);
      // Validating an expired subject with a fresh caller token: 404.
      const fresh = await t.token(erin);
      const res = await t.request('GET', '/identity/v3/auth/tokens', {
        token: fresh,
        headers: { 'x-subject-token': other },
      });
      assert.equal(res.status, 404);
      const purged = await t.server.services.auth.purgeExpired();
      assert.ok(purged.tokens >= 2);
    });
  });

  describe(`keystone failed-login limits on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it('limits failed logins per account, refusing even the right password while limited', async () => {
      const t = await startTestServer({
        target,
        overrides: { 'login.maxFailuresPerAccount': '3', 'login.windowSeconds': '2' },
      });
      try {
        const frank = await t.createAccount();
        const grace = await t.createAccount();
        const right = passwordAuthBody({ id: frank.id, password: frank.password });
        const wrong = passwordAuthBody({ id: frank.id, password: 'wrong-password' });
        // Successful logins do not count.
        for (let i = 0; i < 5; i++) assert.equal((await login(t, right)).status, 201);
        for (let i = 0; i < 3; i++) assertUnauthorized(await login(t, wrong), t);
        const limited = await login(t, right);
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers.get('retry-after')) >= 1);
        assert.deepEqual(limited.body, {
          error: {
            code: 429,
            title: 'Too Many Requests',
            message: 'Too many failed login attempts; try again later.',
          },
        });
        // Other accounts from the same address are unaffected; unknown users are limited the same way.
        assert.equal(
          (await login(t, passwordAuthBody({ id: grace.id, password: grace.password }))).status,
          201,
        );
        const ghost = passwordAuthBody({ id: '55555555555', password: 'whatever' });
        for (let i = 0; i < 3; i++) assertUnauthorized(await login(t, ghost), t);
        assert.equal((await login(t, ghost)).status, 429);
        // The window ends; the right password works again.
        await sleep(2100);
        assert.equal((await login(t, right)).status, 201);
      } finally {
        await t.close();
      }
    });

    it('limits failed logins per client address', async () => {
      const t = await startTestServer({
        target,
        overrides: { 'login.maxFailuresPerAccount': '100', 'login.maxFailuresPerAddress': '4' },
      });
      try {
        const accounts = [await t.createAccount(), await t.createAccount(), await t.createAccount()];
        const henry = await t.createAccount();
        for (let i = 0; i < 4; i++) {
          const a = accounts[i % accounts.length]!;
          assertUnauthorized(await login(t, passwordAuthBody({ id: a.id, password: 'wrong-password' })), t);
        }
        const limited = await login(t, passwordAuthBody({ id: henry.id, password: henry.password }));
        assert.equal(limited.status, 429);
        // Failures were recorded in the shared table, so every node sees them.
        const rows = await t.server.db.kysely.selectFrom('login_failures').selectAll().execute();
        assert.ok(rows.some((r) => r.key === 'addr:127.0.0.1' && r.failures >= 5));
      } finally {
        await t.close();
      }
    });
  });
});
