// ApiKeyService and its repositories on every database: creation limit, listing, disable/delete, resolve,
// sealing at rest, and nonce replay protection.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachDatabase, type TestDatabase } from './helpers/databases.js';
import { defaultConfig, type Config } from '../src/config.js';
import { KyselyApiKeyRepository } from '../src/repositories/db/api-key.repository.js';
import { KyselyNonceRepository } from '../src/repositories/db/nonce.repository.js';
import { ApiKeyService, SECRET_ID_PATTERN } from '../src/services/api-key.service.js';
import { SecretBox, SecretBoxError, loadMasterKey } from '../src/services/secret-box.js';
import { isDomainError } from '../src/domain/errors.js';

async function addAccount(t: TestDatabase, id: string, opts: { disabled?: boolean; admin?: boolean } = {}) {
  const now = new Date().toISOString();
  await t.db.kysely
    .insertInto('accounts')
    .values({
      id,
      name: `acct-${id}`,
      password_hash: 'x',
      is_admin: opts.admin ? 1 : 0,
      created_at: now,
      updated_at: now,
      disabled_at: opts.disabled ? now : null,
    })
    .execute();
}

function rejectsWith(code: string) {
  return (err: unknown) => isDomainError(err) && err.code === code;
}

describe('SecretBox', () => {
  it('round-trips, and refuses another key, another row, or an altered value', () => {
    const box = new SecretBox('a master key of enough length');
    const sealed = box.seal('S3cretKeyValue', 'AKIDrow1');
    assert.match(sealed, /^v1:[A-Za-z0-9+/=]+$/);
    assert.ok(!sealed.includes('S3cretKeyValue'));
    assert.equal(box.open(sealed, 'AKIDrow1'), 'S3cretKeyValue');
    assert.notEqual(box.seal('S3cretKeyValue', 'AKIDrow1'), sealed, 'a fresh IV each time');
    assert.throws(() => box.open(sealed, 'AKIDrow2'), SecretBoxError);
    assert.throws(
      () => new SecretBox('another master key, also long').open(sealed, 'AKIDrow1'),
      SecretBoxError,
    );
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
    assert.throws(() => box.open(`v1:${raw.toString('base64')}`, 'AKIDrow1'), SecretBoxError);
  });

  it('generates <dataDir>/master.key once, mode 0600, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imageshare-mk-'));
    try {
      const first = loadMasterKey('', dir);
      const file = join(dir, 'master.key');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(first.length, 32);
      const second = loadMasterKey('', dir);
      assert.deepEqual(second, first);
      assert.equal(readFileSync(file, 'utf8').trim(), first.toString('base64'));
      // A configured key wins over the file.
      assert.deepEqual(loadMasterKey('configured-master-key', dir), Buffer.from('configured-master-key'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

forEachDatabase((target) => {
  describe(`ApiKeyService on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestDatabase;
    let service: ApiKeyService;
    const config: Config = structuredClone(defaultConfig);

    before(async () => {
      t = await target.create();
      service = new ApiKeyService({
        config,
        keys: new KyselyApiKeyRepository(t.db),
        nonces: new KyselyNonceRepository(t.db),
        box: new SecretBox('test master key, 32+ characters long'),
      });
      await addAccount(t, '909619400');
      await addAccount(t, '909619401', { admin: true });
      await addAccount(t, '909619402', { disabled: true });
      await addAccount(t, '909619403');
    });
    after(async () => t.close());

    it('creates keys in Tencent format, stores only the sealed secret, and resolves them', async () => {
      const key = await service.create('909619400');
      assert.match(key.secretId, SECRET_ID_PATTERN);
      assert.match(key.secretKey, /^[A-Za-z0-9]{32}$/);
      const row = await t.db.kysely
        .selectFrom('api_keys')
        .selectAll()
        .where('secret_id', '=', key.secretId)
        .executeTakeFirstOrThrow();
      assert.ok(!row.secret_key_encrypted.includes(key.secretKey));
      assert.deepEqual(await service.resolve(key.secretId), {
        accountId: '909619400',
        isAdmin: false,
        secretKey: key.secretKey,
      });
      const admin = await service.create('909619401');
      assert.equal((await service.resolve(admin.secretId))?.isAdmin, true);
    });

    it('refuses unknown accounts, and more than maxKeysPerAccount keys', async () => {
      await assert.rejects(service.create('123456789012'), rejectsWith('AccountNotFound'));
      await service.create('909619400'); // the second
      await assert.rejects(service.create('909619400'), rejectsWith('ApiKeyLimitExceeded'));
      assert.equal((await service.list('909619400')).length, 2);
    });

    it('never exceeds the limit under concurrent creation', async () => {
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => service.create('909619403')));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
      for (const r of results)
        if (r.status === 'rejected') assert.ok(rejectsWith('ApiKeyLimitExceeded')(r.reason));
      assert.equal((await service.list('909619403')).length, 2);
    });

    it('lists without secrets; disable stops resolve; delete frees a slot', async () => {
      const [first, second] = await service.list('909619400');
      assert.ok(first && second);
      assert.deepEqual(Object.keys(first).sort(), [
        'accountId',
        'createdAt',
        'disabledAt',
        'secretId',
        'status',
      ]);
      assert.equal(first.status, 'enabled');

      await service.disable('909619400', first.secretId);
      assert.equal(await service.resolve(first.secretId), null);
      const listed = await service.list('909619400');
      assert.equal(listed.find((k) => k.secretId === first.secretId)?.status, 'disabled');
      // Disabled keys still count against the limit.
      await assert.rejects(service.create('909619400'), rejectsWith('ApiKeyLimitExceeded'));

      // Another account's key is "not found" for disable and delete, and stays usable.
      await assert.rejects(service.disable('909619401', second.secretId), rejectsWith('InvalidInput'));
      await assert.rejects(service.delete('909619401', second.secretId), rejectsWith('InvalidInput'));
      assert.notEqual(await service.resolve(second.secretId), null);

      await service.delete('909619400', first.secretId);
      assert.equal((await service.list('909619400')).length, 1);
      await assert.rejects(service.delete('909619400', first.secretId), rejectsWith('InvalidInput'));
      const again = await service.create('909619400');
      assert.notEqual(await service.resolve(again.secretId), null);
    });

    it('does not resolve keys of disabled accounts, unknown or malformed SecretIds', async () => {
      await addAccount(t, '909619404');
      const key = await service.create('909619404');
      assert.notEqual(await service.resolve(key.secretId), null);
      await t.db.kysely
        .updateTable('accounts')
        .set({ disabled_at: new Date().toISOString() })
        .where('id', '=', '909619404')
        .execute();
      assert.equal(await service.resolve(key.secretId), null);
      assert.equal(await service.resolve(`AKID${'x'.repeat(32)}`), null);
      assert.equal(await service.resolve("AKID' or 1=1 --"), null);
    });

    it('remembers nonces: a second use within the TTL is a replay, concurrent uses admit exactly one', async () => {
      const id = 'AKIDnonceowner000000000000000000000';
      assert.equal(await service.rememberNonce(id, '11886', 600), true);
      assert.equal(await service.rememberNonce(id, '11886', 600), false);
      assert.equal(await service.rememberNonce('AKIDother', '11886', 600), true, 'nonces are per SecretId');
      const results = await Promise.all(
        Array.from({ length: 8 }, () => service.rememberNonce(id, '42', 600)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('accepts a nonce again once its sighting has expired, and purges old rows', async () => {
      const id = 'AKIDnonceexpiry00000000000000000000';
      const old = new Date(Date.now() - 3 * 3600 * 1000).toISOString();
      await t.db.kysely
        .insertInto('used_nonces')
        .values({ secret_id: id, nonce: '7', seen_at: old })
        .execute();
      assert.equal(await service.rememberNonce(id, '7', 600), true);
      assert.equal(await service.rememberNonce(id, '7', 600), false);
      await t.db.kysely
        .insertInto('used_nonces')
        .values({ secret_id: id, nonce: 'stale', seen_at: old })
        .execute();
      const purged = await new KyselyNonceRepository(t.db).purgeSeenBefore(
        new Date(Date.now() - 3600 * 1000).toISOString(),
      );
      assert.ok(purged >= 1);
      const left = await t.db.kysely
        .selectFrom('used_nonces')
        .select('nonce')
        .where('secret_id', '=', id)
        .execute();
      assert.deepEqual(
        left.map((r) => r.nonce),
        ['7'],
      );
    });
  });
});
