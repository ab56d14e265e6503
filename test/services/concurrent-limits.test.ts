// Limits that span rows hold under concurrency: count-then-insert runs under a lock.
//
// What these prove depends on the database. On PostgreSQL the requests run on a pool of connections at
// once, so the races are real and the tests fail without the locks (ImageRepository.lockOwnerRegion,
// InstanceRepository.lockAccount): shown by removing them on purpose. On SQLite, in one process, Kysely
// runs every transaction on its single connection, one after the other: no race can happen (the locks are
// no-ops there), so these tests cannot fail on SQLite for a missing lock; they only show that the count and
// the write are in one transaction. test/glance-two-nodes.test.ts races two processes on one SQLite file.
// The last two tests here are no races: all-or-nothing batches and a cancelled share.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import type { RequestContext } from '../../src/services/context.js';
import { forEachDatabase } from '../helpers/databases.js';
import { bytes, serviceHarness, type ServiceHarness } from '../helpers/services.js';

function outcome(results: PromiseSettledResult<unknown>[]) {
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const codes = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => (r.reason instanceof DomainError ? r.reason.code : String(r.reason)));
  return { ok, codes };
}

forEachDatabase((target) => {
  describe(`concurrent limits on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let h: ServiceHarness;
    let owner: RequestContext;

    before(async () => {
      h = await serviceHarness(target, { 'images.quotaPerRegion': '2', 'instances.maxPerAccount': '3' });
      owner = await h.account();
    });
    after(() => h?.close());

    it('20 concurrent creates against a quota of 2 make exactly 2 images', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => h.services.images.create(owner, { name: `q${i}` })),
      );
      const { ok, codes } = outcome(results);
      assert.equal(ok, 2);
      assert.deepEqual(new Set(codes), new Set(['ImageQuotaExceeded']));
      assert.deepEqual(await h.services.images.quota(owner), { quota: 2, used: 2 });
    });

    it('20 concurrent launches against a limit of 3 make exactly 3 instances', async () => {
      const other = await h.account();
      const image = await h.services.images.create(other, { diskFormat: 'raw', containerFormat: 'bare' });
      await h.services.images.upload(other, image.id, bytes('x'));
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => h.services.instances.launch(other, image.id)),
      );
      const { ok, codes } = outcome(results);
      assert.equal(ok, 3);
      assert.deepEqual(new Set(codes), new Set(['QuotaExceeded']));
      assert.equal((await h.services.instances.list(other)).total, 3);
    });

    it('concurrent copies against the quota in the target region stop at the quota', async () => {
      const copier = await h.account();
      const image = await h.services.images.create(copier, { diskFormat: 'raw', containerFormat: 'bare' });
      await h.services.images.upload(copier, image.id, bytes('copy me'));
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => h.services.images.copy(copier, image.id, 'ap-shanghai')),
      );
      assert.equal(outcome(results).ok, 2);
      assert.deepEqual(await h.services.images.quota({ ...copier, region: 'ap-shanghai' }), {
        quota: 2,
        used: 2,
      });
    });

    it('a batch copy that would pass the quota copies nothing (all or nothing, no data left behind)', async () => {
      const batcher = await h.account();
      const ids: string[] = [];
      for (const name of ['one', 'two']) {
        const image = await h.services.images.create(batcher, {
          name,
          diskFormat: 'raw',
          containerFormat: 'bare',
        });
        await h.services.images.upload(batcher, image.id, bytes(name));
        ids.push(image.id);
      }
      const shanghai = { ...batcher, region: 'ap-shanghai' };
      await h.services.images.create(shanghai, { name: 'already there' });
      const blobsBefore = readdirSync(h.blobDir).filter((f) => !f.startsWith('.')).length;
      // Quota 2 in ap-shanghai, one used: two copies do not fit.
      await assert.rejects(
        h.services.images.copyMany(batcher, ids, ['ap-shanghai']),
        (err: unknown) => err instanceof DomainError && err.code === 'ImageQuotaExceeded',
      );
      assert.deepEqual(await h.services.images.quota(shanghai), { quota: 2, used: 1 });
      assert.equal(readdirSync(h.blobDir).filter((f) => !f.startsWith('.')).length, blobsBefore);
      // One copy fits.
      const [copy] = await h.services.images.copyMany(batcher, [ids[0] as string], ['ap-shanghai']);
      assert.equal(copy?.sourceImageId, ids[0]);
    });

    it('an image cannot be captured from an instance once the share behind it is cancelled', async () => {
      const sharer = await h.account();
      const receiver = await h.account();
      const image = await h.services.images.create(sharer, { diskFormat: 'raw', containerFormat: 'bare' });
      await h.services.images.upload(sharer, image.id, bytes('secret disk'));
      await h.services.shares.addMember(sharer, image.id, receiver.caller.accountId, {
        access: 'launch_and_copy',
      });
      const [instance] = await h.services.instances.launch(receiver, image.id);
      // While shared (with the copy grant), the receiver may make its own image from the instance ...
      const own = await h.services.images.createFromInstance(receiver, instance!.id, { name: 'mine' });
      assert.equal(own.ownerId, receiver.caller.accountId);
      // ... once the owner cancels the share, not any more.
      await h.services.shares.cancelShares(sharer, image.id, [receiver.caller.accountId]);
      await assert.rejects(
        h.services.images.createFromInstance(receiver, instance!.id, { name: 'again' }),
        (err: unknown) => err instanceof DomainError && err.code === 'ImageNotFound',
      );
    });
  });
});
