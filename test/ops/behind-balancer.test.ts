// Behind a load balancer: with `server.trustProxy` naming the balancer (or a hop count), X-Forwarded-For
// decides the client address that failed logins count against; without it, X-Forwarded-For is ignored, so a
// client cannot spread its failures over made-up addresses. `server.publicUrl` is the base of every link the
// server hands out (catalog, version documents, Location headers), never the address it listens on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, trustProxySetting } from '../../src/config.js';
import { databaseTargets } from '../helpers/databases.js';
import { passwordAuthBody, startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';

const sqlite = databaseTargets[0]!;

function login(t: TestServer, account: TestAccount, password: string, forwardedFor?: string) {
  return t.request('POST', '/identity/v3/auth/tokens?nocatalog', {
    headers: { 'x-forwarded-for': forwardedFor },
    body: passwordAuthBody({ id: account.id, password }, { project: { id: account.id } }),
  });
}

async function failureKeys(t: TestServer): Promise<string[]> {
  const rows = await t.server.db.kysely
    .selectFrom('login_failures')
    .select('key')
    .where('failures', '>', 0)
    .execute();
  return rows.map((r) => r.key).filter((k) => k.startsWith('addr:'));
}

/** Four accounts so the per-account limit (100) never trips; the address limit is 3. */
async function limitedServer(trustProxy?: string) {
  const t = await startTestServer({
    target: sqlite,
    overrides: {
      'login.maxFailuresPerAccount': '100',
      'login.maxFailuresPerAddress': '3',
      ...(trustProxy === undefined ? {} : { 'server.trustProxy': trustProxy }),
    },
  });
  const accounts = await Promise.all([1, 2, 3, 4].map(() => t.createAccount()));
  return { t, accounts };
}

describe('server.trustProxy', () => {
  it('parses hop counts and address lists, and refuses "trust everyone" and garbage', () => {
    const load = (value: string) =>
      loadConfig({ env: {}, file: '', overrides: { 'server.trustProxy': value } });
    assert.equal(trustProxySetting(load('')), false);
    assert.equal(trustProxySetting(load('0')), false);
    const hops = trustProxySetting(load('2'));
    assert.equal(typeof hops, 'function');
    const trusts = hops as (address: string, hop: number) => boolean;
    assert.deepEqual(
      [0, 1, 2].map((i) => trusts('10.0.0.1', i)),
      [true, true, false],
    );
    assert.deepEqual(trustProxySetting(load('10.0.0.0/8, 127.0.0.1,::1,fd00::/8')), [
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
    assert.throws(() => load('true'), ConfigError);
    assert.throws(() => load('loadbalancer.local'), ConfigError);
    assert.throws(() => load('10.0.0.0/33'), ConfigError);
    assert.throws(() => load('99'), ConfigError);
    const env = loadConfig({ env: { IMAGESHARE_TRUST_PROXY: '127.0.0.1' }, file: '' });
    assert.deepEqual(trustProxySetting(env), ['127.0.0.1']);
  });

  it('off (the default): X-Forwarded-For is ignored, every failure counts against the socket address', async () => {
    const { t, accounts } = await limitedServer();
    try {
      const [a, b, c, d] = accounts as [TestAccount, TestAccount, TestAccount, TestAccount];
      // An attacker rotating made-up addresses still hits the limit of its real address.
      assert.equal((await login(t, a, 'wrong-password', '203.0.113.1')).status, 401);
      assert.equal((await login(t, b, 'wrong-password', '203.0.113.2')).status, 401);
      assert.equal((await login(t, c, 'wrong-password', '203.0.113.3')).status, 401);
      assert.equal((await login(t, d, d.password, '203.0.113.4')).status, 429);
      assert.deepEqual(await failureKeys(t), ['addr:127.0.0.1']);
    } finally {
      await t.close();
    }
  });

  it('naming the balancer: X-Forwarded-For decides the per-address limit', async () => {
    const { t, accounts } = await limitedServer('127.0.0.1');
    try {
      const [a, b, c, d] = accounts as [TestAccount, TestAccount, TestAccount, TestAccount];
      for (const account of [a, b, c]) {
        assert.equal((await login(t, account, 'wrong-password', '203.0.113.7')).status, 401);
      }
      // The client behind 203.0.113.7 is limited, even with the right password...
      assert.equal((await login(t, d, d.password, '203.0.113.7')).status, 429);
      // ...while another client behind the same balancer is not.
      assert.equal((await login(t, d, d.password, '198.51.100.20')).status, 201);
      assert.deepEqual(await failureKeys(t), ['addr:203.0.113.7']);
    } finally {
      await t.close();
    }
  });

  it('a hop count believes only the hops the balancers added, not what the client wrote before them', async () => {
    const { t, accounts } = await limitedServer('1');
    try {
      const [a, b, c, d] = accounts as [TestAccount, TestAccount, TestAccount, TestAccount];
      // With one balancer the client's address is the last entry; the spoofed ones before it do not count.
      for (const [i, account] of [a, b, c].entries()) {
        const status = (await login(t, account, 'wrong-password', `10.9.9.${i}, 203.0.113.9`)).status;
        assert.equal(status, 401);
      }
      assert.equal((await login(t, d, d.password, '10.9.9.200, 203.0.113.9')).status, 429);
      assert.equal((await login(t, d, d.password, '203.0.113.10')).status, 201);
      assert.deepEqual(await failureKeys(t), ['addr:203.0.113.9']);
    } finally {
      await t.close();
    }
  });

  it('server.publicUrl is the base of every link: catalog, version discovery, Location headers', async () => {
    const publicUrl = 'https://images.example.com/cloud';
    const t = await startTestServer({ target: sqlite, overrides: { 'server.publicUrl': `${publicUrl}/` } });
    try {
      assert.equal(t.server.publicUrl, publicUrl);
      assert.notEqual(t.url, publicUrl);
      const alice = await t.createAccount();
      const loggedIn = await t.request('POST', '/identity/v3/auth/tokens', {
        body: passwordAuthBody({ id: alice.id, password: alice.password }, { project: { id: alice.id } }),
      });
      assert.equal(loggedIn.status, 201);
      const token = loggedIn.headers.get('x-subject-token') as string;
      const catalog = (loggedIn.body as { token: { catalog: { endpoints: { url: string }[] }[] } }).token
        .catalog;
      const urls = catalog.flatMap((service) => service.endpoints.map((e) => e.url));
      assert.ok(urls.length >= 4);
      for (const url of urls) assert.ok(url.startsWith(`${publicUrl}/`) || url === publicUrl, url);

      const identity = await t.request('GET', '/identity/');
      assert.equal(identity.headers.get('location'), `${publicUrl}/identity/v3/`);
      assert.ok(!identity.text.includes(t.url), identity.text);
      const versions = await t.request('GET', '/versions');
      assert.ok(versions.text.includes(`${publicUrl}/v2/`), versions.text);
      assert.ok(!versions.text.includes(t.url), versions.text);
      const created = await t.request('POST', '/v2/images', { token, body: { name: 'linked' } });
      assert.equal(created.status, 201);
      const id = (created.body as { id: string }).id;
      assert.equal(created.headers.get('location'), `${publicUrl}/v2/images/${id}`);
      const regional = await t.request('POST', `/regions/${t.config.regions[1]}/v2/images`, {
        token,
        body: { name: 'linked-2' },
      });
      assert.match(regional.headers.get('location') ?? '', new RegExp(`^${publicUrl}/regions/`));
    } finally {
      await t.close();
    }
  });

  it('refuses a publicUrl that is not an http(s) URL', () => {
    for (const bad of ['images.example.com', 'ftp://x', 'https://x/?a=1', 'https://x/#f']) {
      assert.throws(
        () => loadConfig({ env: {}, file: '', overrides: { 'server.publicUrl': bad } }),
        ConfigError,
        bad,
      );
    }
  });
});
