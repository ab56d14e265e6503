// `imageshare images verify` on both blob stores (a local folder, a bucket on the real S3 test server) and
// both databases: three images are uploaded; one byte of one image's stored data is flipped, another image's
// data is deleted behind the service's back, the third is left alone. The command (a real process, as an
// operator runs it) reports exactly the two, with what is wrong; with --mark they go to "killed", after which
// their data cannot be downloaded and no instance can be launched from them, while the intact image still can.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isDomainError } from '../../src/domain/errors.js';
import type { IntegrityReport } from '../../src/services/integrity.service.js';
import { blobTargets, type BlobPlace } from '../helpers/blob-targets.js';
import { runCli } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/databases.js';
import { createImage, uploadData } from '../helpers/glance.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

function run(args: string[], env: Record<string, string>) {
  return runCli(args, { env });
}

for (const blobTarget of blobTargets) {
  forEachDatabase((dbTarget) => {
    const skip = blobTarget.skipReason ?? dbTarget.skipReason ?? false;
    describe(`images verify: ${blobTarget.name} store, ${dbTarget.dialect}`, { skip }, () => {
      let place: BlobPlace;
      let t: TestServer;
      let env: Record<string, string>;

      before(async () => {
        place = await blobTarget.create();
        t = await startTestServer({ target: dbTarget, overrides: place.overrides });
        env = { ...place.env, IMAGESHARE_DATA_DIR: t.database.dataDir };
        if (dbTarget.dialect === 'postgres') {
          env.IMAGESHARE_DATABASE_URL = t.database.url;
          env.IMAGESHARE_DATABASE_SCHEMA = t.database.schema as string;
        }
      });
      after(async () => {
        await t?.close();
        await place?.close();
      });

      it('reports a flipped byte and a deleted blob, marks them killed, and they refuse downloads and launches', async () => {
        const owner = await t.createAccount();
        const token = await t.token(owner);
        const ids: string[] = [];
        for (const name of ['intact', 'flipped', 'deleted']) {
          const image = await createImage(t, token, { name });
          const res = await uploadData(t, token, image.id, randomBytes(200_000 + ids.length * 1000));
          assert.equal(res.status, 204, res.text);
          ids.push(image.id);
        }
        const [intact, flipped, deleted] = ids as [string, string, string];
        const keyOf = async (id: string) =>
          (
            await t.server.db.kysely
              .selectFrom('images')
              .select('blob_key')
              .where('id', '=', id)
              .executeTakeFirstOrThrow()
          ).blob_key as string;

        // Before any damage: everything is whole (exit 0).
        const clean = await run(['images', 'verify', '--all', '--json'], env);
        assert.equal(clean.code, 0, clean.stderr);
        const cleanReport = JSON.parse(clean.stdout) as IntegrityReport;
        assert.deepEqual([cleanReport.checked, cleanReport.ok, cleanReport.findings], [3, 3, []]);

        await place.tamper(await keyOf(flipped), (data) => {
          data[12345] = data[12345]! ^ 0x01; // one bit of one byte: same size, different hashes
          return data;
        });
        await place.store.delete(await keyOf(deleted));

        // Report only: both found, with what is wrong; nothing changes status.
        const found = await run(['images', 'verify', '--all', '--json'], env);
        assert.equal(found.code, 4, found.stderr);
        const report = JSON.parse(found.stdout) as IntegrityReport;
        assert.equal(report.checked, 3);
        assert.equal(report.ok, 1);
        const problems = Object.fromEntries(report.findings.map((f) => [f.imageId, f.problem]));
        assert.deepEqual(problems, { [flipped]: 'md5', [deleted]: 'missing' });
        assert.ok(report.findings.every((f) => !f.marked));
        for (const id of ids) {
          const res = await t.request('GET', `/v2/images/${id}`, { token });
          assert.equal((res.body as { status: string }).status, 'active');
        }

        // One image by ID, in text form.
        const one = await run(['images', 'verify', flipped], env);
        assert.equal(one.code, 4);
        assert.match(
          one.stdout,
          new RegExp(`^MD5 ${flipped} owner=${owner.id} .* expected=[0-9a-f]{32} actual=[0-9a-f]{32}$`, 'm'),
        );
        const whole = await run(['images', 'verify', intact], env);
        assert.equal(whole.code, 0, whole.stderr);
        assert.match(whole.stdout, /checked: 1 images, \d+ bytes; ok: 1; changed or missing: 0/);

        // --mark: both go to killed.
        const marked = await run(['images', 'verify', '--all', '--mark', '--json'], env);
        assert.equal(marked.code, 4);
        const markedReport = JSON.parse(marked.stdout) as IntegrityReport;
        assert.ok(markedReport.findings.length === 2 && markedReport.findings.every((f) => f.marked));
        const ctx = {
          caller: { accountId: owner.id, isAdmin: false },
          region: t.config.regions[0]!,
          surface: 'openstack' as const,
          clientAddress: '127.0.0.1',
        };
        for (const id of [flipped, deleted]) {
          const res = await t.request('GET', `/v2/images/${id}`, { token });
          assert.equal((res.body as { status: string }).status, 'killed', id);
          const data = await t.request('GET', `/v2/images/${id}/file`, { token });
          assert.equal(data.status, 409, `download of ${id}: ${data.status}`);
          await assert.rejects(
            t.server.services.instances.launch(ctx, id),
            (err: unknown) => isDomainError(err) && err.code === 'InvalidImageStatus',
          );
        }
        // The intact image is untouched by --mark and still serves and launches.
        const kept = await t.request('GET', `/v2/images/${intact}/file`, { token });
        assert.equal(kept.status, 200);
        assert.equal((await t.server.services.instances.launch(ctx, intact)).length, 1);

        // Marked images are not marked twice; --all and IDs together are a usage error.
        const again = JSON.parse(
          (await run(['images', 'verify', '--all', '--mark', '--json'], env)).stdout,
        ) as IntegrityReport;
        assert.ok(again.findings.every((f) => !f.marked && f.status === 'killed'));
        const usage = await run(['images', 'verify', '--all', intact], env);
        assert.equal(usage.code, 2);
      });
    });
  });
}
