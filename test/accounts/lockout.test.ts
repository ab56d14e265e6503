// Failed-login limits per (account, address) pair, per address, and a per-account ceiling for distributed
// guessing only (issue 11): six wrong passwords from anywhere used to lock the real user out of password login
// for five minutes from every address. One rule (AuthService.checkPassword) for Keystone and the console, the
// client address taken from X-Forwarded-For only when the balancer is trusted, and `imageshare account unlock`.
// On SQLite and PostgreSQL, over real HTTP; the operator's CLI is run as a separate process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { forEachDatabase } from '../helpers/databases.js';
import { cliArgs, repoRoot } from '../helpers/cli.js';
import { passwordAuthBody, startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';
import { API } from '../helpers/console.js';

const exec = promisify(execFile);

const LIMITS = {
  'server.trustProxy': '127.0.0.1',
  'login.maxFailuresPerAccountAddress': '5',
  'login.maxFailuresPerAddress': '12',
  'login.maxFailuresPerAccount': '20',
};

function keystoneLogin(t: TestServer, account: TestAccount, password: string, from: string) {
  return t.request('POST', '/identity/v3/auth/tokens?nocatalog', {
    headers: { 'x-forwarded-for': from },
    body: passwordAuthBody({ id: account.id, password }, { project: { id: account.id } }),
  });
}

function consoleLogin(t: TestServer, account: TestAccount, password: string, from: string) {
  return t.request('POST', `${API}/session`, {
    headers: { 'x-forwarded-for': from },
    body: { login: account.name, password },
  });
}

async function unlockWithCli(t: TestServer, id: string) {
  const args = ['account', 'unlock', id, '--json', '--data-dir', t.database.dataDir];
  if (t.database.url) args.push('--database-url', t.database.url, '--database-schema', t.database.schema!);
  try {
    const { stdout } = await exec(process.execPath, cliArgs(...args), {
      cwd: repoRoot,
      env: { ...process.env, IMAGESHARE_CONFIG: '' },
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout + e.stderr };
  }
}

forEachDatabase((target) => {
  describe(`failed-login lockout on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;

    before(async () => {
      t = await startTestServer({ target, overrides: LIMITS });
    });
    after(() => t.close());

    it('one attacker address cannot lock the user out: only its own pair is limited', async () => {
      const victim = await t.createAccount();
      const attacker = '203.0.113.66';
      for (let i = 0; i < 5; i++) {
        assert.equal((await keystoneLogin(t, victim, 'guess-' + i, attacker)).status, 401);
      }
      // Far more guesses than the account ceiling (20): all refused at the pair limit, none reach the ceiling.
      for (let i = 0; i < 30; i++) {
        const res = await keystoneLogin(t, victim, 'guess-more-' + i, attacker);
        assert.equal(res.status, 429);
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
      }
      // Even the right password is refused from the attacker's address (the pair is limited)...
      assert.equal((await keystoneLogin(t, victim, victim.password, attacker)).status, 429);
      // ...while the real user logs in from its own address, through Keystone and the console.
      assert.equal((await keystoneLogin(t, victim, victim.password, '198.51.100.7')).status, 201);
      assert.equal((await consoleLogin(t, victim, victim.password, '198.51.100.7')).status, 200);
      // Every attempt counted against the attacker's address, which is now limited for every account.
      const other = await t.createAccount();
      assert.equal((await keystoneLogin(t, other, other.password, attacker)).status, 429);
    });

    it('Keystone and the console count under the same rule: failures on one limit the other', async () => {
      const user = await t.createAccount();
      const from = '203.0.113.80';
      for (let i = 0; i < 3; i++) {
        assert.equal((await consoleLogin(t, user, 'wrong-' + i, from)).status, 401);
      }
      for (let i = 0; i < 2; i++) {
        assert.equal((await keystoneLogin(t, user, 'wrong-k' + i, from)).status, 401);
      }
      const viaKeystone = await keystoneLogin(t, user, user.password, from);
      assert.equal(viaKeystone.status, 429);
      const viaConsole = await consoleLogin(t, user, user.password, from);
      assert.equal(viaConsole.status, 429);
      assert.ok(Number(viaConsole.headers.get('retry-after')) >= 1);
    });

    it('one address guessing at many accounts meets the per-address limit', async () => {
      const from = '203.0.113.90';
      const accounts = await Promise.all(Array.from({ length: 4 }, () => t.createAccount()));
      // 12 failures spread over 4 accounts (3 each, under the pair limit).
      for (const account of accounts) {
        for (let i = 0; i < 3; i++) {
          assert.equal((await keystoneLogin(t, account, 'spray-' + i, from)).status, 401);
        }
      }
      const fresh = await t.createAccount();
      assert.equal((await keystoneLogin(t, fresh, fresh.password, from)).status, 429);
      assert.equal((await consoleLogin(t, fresh, fresh.password, from)).status, 429);
      assert.equal((await keystoneLogin(t, fresh, fresh.password, '198.51.100.91')).status, 201);
    });

    it('distributed guessing reaches the account ceiling; `imageshare account unlock` clears it', async () => {
      const victim = await t.createAccount();
      // 7 addresses x 3 guesses = 21 > 20: the ceiling, reached only by many addresses together.
      let refused = 0;
      for (let a = 0; a < 7; a++) {
        for (let i = 0; i < 3; i++) {
          const status = (await keystoneLogin(t, victim, 'botnet-' + i, `192.0.2.${a + 1}`)).status;
          if (status === 429) refused++;
          else assert.equal(status, 401);
        }
      }
      assert.equal(refused, 1, 'the 21st guess is over the ceiling');
      assert.equal((await keystoneLogin(t, victim, victim.password, '198.51.100.99')).status, 429);

      const unlocked = await unlockWithCli(t, victim.id);
      assert.equal(unlocked.code, 0, unlocked.stdout);
      const report = JSON.parse(unlocked.stdout) as { id: string; unlocked: boolean; addressPairs: number };
      assert.equal(report.id, victim.id);
      assert.equal(report.unlocked, true);
      // The 7 guessing addresses and the real user's refused attempt.
      assert.equal(report.addressPairs, 8);
      const left = await t.server.db.kysely
        .selectFrom('login_failures')
        .select('key')
        .where((eb) =>
          eb.or([eb('key', '=', `account:${victim.id}`), eb('key', 'like', `pair:${victim.id}@%`)]),
        )
        .execute();
      assert.deepEqual(left, []);
      assert.equal((await keystoneLogin(t, victim, victim.password, '198.51.100.99')).status, 201);
      assert.equal((await consoleLogin(t, victim, victim.password, '198.51.100.99')).status, 200);
    });

    it('unlock of an unknown account fails with exit code 3', async () => {
      const res = await unlockWithCli(t, '4444444444');
      assert.equal(res.code, 3);
      assert.match(res.stdout, /no account with ID 4444444444/);
    });
  });

  describe(
    `lockout without a trusted balancer on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      it('X-Forwarded-For is ignored: made-up addresses do not escape the pair limit', async () => {
        const t = await startTestServer({
          target,
          overrides: { ...LIMITS, 'server.trustProxy': '' },
        });
        try {
          const victim = await t.createAccount();
          for (let i = 0; i < 5; i++) {
            assert.equal((await keystoneLogin(t, victim, 'x' + i, `203.0.113.${i + 1}`)).status, 401);
          }
          assert.equal((await keystoneLogin(t, victim, victim.password, '203.0.113.200')).status, 429);
          const keys = await t.server.db.kysely.selectFrom('login_failures').select('key').execute();
          assert.ok(keys.some((k) => k.key === `pair:${victim.id}@127.0.0.1`));
          assert.ok(!keys.some((k) => k.key.includes('203.0.113.')));
        } finally {
          await t.close();
        }
      });
    },
  );
});
