// Uploads claim their image and keep a heartbeat: a crash mid-upload never leaves an image stuck in
// "saving", and a live upload is never taken over.
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import type { RequestContext } from '../../src/services/context.js';
import { forEachDatabase } from '../helpers/databases.js';
import { bytes, serviceHarness, type ServiceHarness } from '../helpers/services.js';

forEachDatabase((target) => {
  describe(`upload claims on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let h: ServiceHarness;
    let owner: RequestContext;

    before(async () => {
      // A 1-second staleness makes the heartbeat tick every 200 ms.
      h = await serviceHarness(target, { 'images.uploadStaleSeconds': '1' });
      owner = await h.account();
    });
    after(() => h?.close());

    const newImage = () => h.services.images.create(owner, { diskFormat: 'raw', containerFormat: 'bare' });

    it('takes over an upload whose node died (saving, heartbeat stale) and activates the image', async () => {
      const image = await newImage();
      // What a crash leaves: status saving, a claim, and a heartbeat that stopped a minute ago.
      const stale = new Date(Date.now() - 60_000).toISOString();
      await h.database.db.kysely
        .updateTable('images')
        .set({ status: 'saving', upload_id: 'dead-node-upload', upload_heartbeat_at: stale })
        .where('id', '=', image.id)
        .execute();
      const done = await h.services.images.upload(owner, image.id, bytes('recovered'));
      assert.equal(done.status, 'active');
      assert.equal(done.size, 'recovered'.length);
    });

    it('a refused takeover leaves the abandoned claim as it found it (the row unchanged, still takeable)', async () => {
      const image = await newImage();
      const stale = new Date(Date.now() - 60_000).toISOString();
      await h.database.db.kysely
        .updateTable('images')
        .set({ status: 'saving', upload_id: 'dead-node-upload', upload_heartbeat_at: stale })
        .where('id', '=', image.id)
        .execute();
      const storedRow = () =>
        h.database.db.kysely
          .selectFrom('images')
          .selectAll()
          .where('id', '=', image.id)
          .executeTakeFirstOrThrow();
      const before = await storedRow();
      await sleep(5); // the stored times have milliseconds: a rewrite of updated_at would show
      await assert.rejects(
        h.services.images.upload(owner, image.id, bytes('12345'), { expectedSize: 6 }),
        (err: unknown) => err instanceof DomainError && err.code === 'InvalidInput',
      );
      assert.deepEqual(await storedRow(), before);
      // Still an abandoned upload: the next one takes it over.
      assert.equal((await h.services.images.upload(owner, image.id, bytes('recovered'))).status, 'active');
    });

    it('refuses a second upload while the first is alive, even past the staleness, thanks to the heartbeat', async () => {
      const image = await newImage();
      const slow = new PassThrough();
      const first = h.services.images.upload(owner, image.id, slow);
      slow.write('part one, ');
      await sleep(2500); // longer than uploadStaleSeconds: only the heartbeat keeps the claim alive
      await assert.rejects(
        h.services.images.upload(owner, image.id, bytes('intruder')),
        (err: unknown) => err instanceof DomainError && err.code === 'InvalidImageStatus',
      );
      slow.end('part two');
      const done = await first;
      assert.equal(done.status, 'active');
      assert.equal(done.size, 'part one, part two'.length);
    });

    it('a failed upload puts the image back to queued and clears its claim', async () => {
      const image = await newImage();
      const broken = new PassThrough();
      const upload = h.services.images.upload(owner, image.id, broken);
      broken.write('some bytes');
      // The stream fails at once, possibly before the service has started reading it.
      broken.destroy(new Error('client went away'));
      await assert.rejects(upload);
      const row = await h.database.db.kysely
        .selectFrom('images')
        .select(['status', 'upload_id', 'upload_heartbeat_at'])
        .where('id', '=', image.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(row, { status: 'queued', upload_id: null, upload_heartbeat_at: null });
      assert.equal((await h.services.images.upload(owner, image.id, bytes('again'))).status, 'active');
    });
  });
});
