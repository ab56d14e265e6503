// The account service over a real database, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../src/config.js';
import { LocalBlobStore } from '../../src/repositories/blob/local-blob-store.js';
import { createServices, type Services } from '../../src/services/container.js';
import { forEachDatabase, type TestDatabase } from '../helpers/databases.js';

forEachDatabase((target) => {
  describe(`accounts on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestDatabase;
    let services: Services;
    before(async () => {
      t = await target.create();
      services = createServices({
        config: structuredClone(defaultConfig),
        db: t.db,
        blobs: new LocalBlobStore('/nonexistent'),
      });
    });
    after(async () => t?.close());

    it('bootstraps the first admin only on an empty database', async () => {
      const created = await services.accounts.bootstrapAdmin({ id: '', name: 'admin', password: '' });
      assert.ok(created);
      assert.equal(created.account.isAdmin, true);
      assert.match(created.account.id, /^[1-9]\d{9}$/);
      assert.ok(created.generatedPassword);
      assert.equal(await services.accounts.bootstrapAdmin({ id: '', name: 'admin', password: '' }), null);
      const row = await t.db.kysely
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', created.account.id)
        .executeTakeFirstOrThrow();
      assert.match(row.password_hash, /^scrypt\$/);
      assert.ok(!row.password_hash.includes(created.generatedPassword));
    });

    it('creates, gets, lists, disables and re-enables accounts', async () => {
      const created = await services.accounts.create({
        name: 'svc-alice',
        id: '909619400',
        password: 'secret-1',
      });
      assert.equal(created.generatedPassword, null);
      assert.deepEqual(await services.accounts.get('909619400'), created.account);
      assert.deepEqual(await services.accounts.getByName('svc-alice'), created.account);
      assert.equal(await services.accounts.exists('909619400'), true);
      assert.equal(await services.accounts.exists('909619401'), false);
      assert.equal(await services.accounts.exists('not-an-id'), false);
      assert.equal(await services.accounts.get('not-an-id'), null);

      const disabled = await services.accounts.disable('909619400');
      assert.ok(disabled.disabledAt);
      assert.equal(await services.accounts.exists('909619400'), false);
      assert.ok((await services.accounts.list()).some((a) => a.id === '909619400'));
      assert.ok(
        !(await services.accounts.list({ includeDisabled: false })).some((a) => a.id === '909619400'),
      );
      await services.accounts.enable('909619400');
      assert.equal(await services.accounts.exists('909619400'), true);
    });

    it('refuses duplicate names and IDs, bad names, bad IDs and bad passwords', async () => {
      await services.accounts.create({ name: 'svc-bob', id: '123456789' });
      await assert.rejects(services.accounts.create({ name: 'svc-bob' }), { code: 'Conflict' });
      await assert.rejects(services.accounts.create({ name: 'svc-bob2', id: '123456789' }), {
        code: 'Conflict',
      });
      for (const name of ['', 'x'.repeat(65), '12345', 'has space', '-dash', 'semi;colon']) {
        await assert.rejects(services.accounts.create({ name }), { code: 'InvalidInput' }, name);
      }
      for (const id of ['0123456', '12', 'abc', '1'.repeat(21)]) {
        await assert.rejects(services.accounts.create({ name: 'svc-x', id }), { code: 'InvalidInput' }, id);
      }
      for (const password of ['short', 'x'.repeat(4097)]) {
        await assert.rejects(services.accounts.create({ name: 'svc-y', password }), { code: 'InvalidInput' });
      }
      await assert.rejects(services.accounts.disable('99999'), { code: 'AccountNotFound' });
      await assert.rejects(services.accounts.setPassword('99999', 'secret-2'), { code: 'AccountNotFound' });
    });

    it('sets passwords (generated when absent) and logins follow', async () => {
      const { account } = await services.accounts.create({ name: 'svc-carol', password: 'first-pass' });
      const login = (password: string) =>
        services.auth.login({ user: { id: account.id }, password, clientAddress: '192.0.2.1' });
      await login('first-pass');
      const { generatedPassword } = await services.accounts.setPassword(account.id);
      assert.ok(generatedPassword);
      await assert.rejects(login('first-pass'), { code: 'Unauthenticated' });
      await login(generatedPassword);
      assert.deepEqual(await services.accounts.setPassword(account.id, 'third-pass'), {
        generatedPassword: null,
      });
      await login('third-pass');
    });

    it('stores tokens only as hashes', async () => {
      const { account } = await services.accounts.create({ name: 'svc-dave', password: 'dave-pass' });
      const issued = await services.auth.login({
        user: { id: account.id },
        password: 'dave-pass',
        clientAddress: '::1',
      });
      const rows = await t.db.kysely
        .selectFrom('tokens')
        .selectAll()
        .where('account_id', '=', account.id)
        .execute();
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0]!.token_hash, issued.token);
      assert.match(rows[0]!.token_hash, /^[0-9a-f]{64}$/);
      assert.ok(issued.token.length >= 43);
    });
  });
});
