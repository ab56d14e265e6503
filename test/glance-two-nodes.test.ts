// Two server processes on one database, as on several machines: 100 concurrent member additions to one
// image from 100 accounts, sent alternately to both nodes, end with exactly 50 members; concurrent creates
// stop at the quota; a delete racing a share never leaves a deleted image with members.
// These are the race tests that mean something on SQLite too: in one process Kysely runs SQLite
// transactions one at a time on its one connection, so no race can happen there (see
// test/services/concurrent-limits.test.ts); two processes on one file race for real, and only BEGIN
// IMMEDIATE (database.ts) keeps them from both reading a count and then both writing.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { forEachDatabase } from './helpers/databases.js';
import {
  httpRequest,
  spawnServer,
  startTestServer,
  type TestAccount,
  type TestServer,
} from './helpers/server.js';

type ServerProcess = Awaited<ReturnType<typeof spawnServer>>;

/** Images per account and region on both nodes (the owner below creates fewer than this). */
const QUOTA = 20;

forEachDatabase((target) => {
  describe(`two nodes on one ${target.dialect} database`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let second: ServerProcess;
    let owner: TestAccount;
    let ownerToken: string;

    before(async () => {
      t = await startTestServer({ target, overrides: { 'images.quotaPerRegion': String(QUOTA) } });
      const args = ['--data-dir', t.database.dataDir];
      if (target.dialect === 'postgres') {
        args.push('--database-url', t.database.url, '--database-schema', t.database.schema as string);
      }
      second = await spawnServer(args, {
        IMAGESHARE_LOG__LEVEL: 'warn',
        IMAGESHARE_IMAGES__QUOTA_PER_REGION: String(QUOTA),
      });
      owner = await t.createAccount();
      ownerToken = await t.token(owner);
    });
    after(async () => {
      await second?.stop();
      await t?.close();
    });

    const nodes = () => [t.url, second.url];

    async function newImage(): Promise<string> {
      const res = await httpRequest(t.url, 'POST', '/v2/images', {
        token: ownerToken,
        body: { name: 'race' },
      });
      assert.equal(res.status, 201, res.text);
      return (res.body as { id: string }).id;
    }

    it('100 concurrent member additions across both nodes end with exactly 50 members', async () => {
      const imageId = await newImage();
      const accounts = await Promise.all(Array.from({ length: 100 }, () => t.createAccount()));
      const responses = await Promise.all(
        accounts.map((account, i) =>
          httpRequest(nodes()[i % 2] as string, 'POST', `/v2/images/${imageId}/members`, {
            token: ownerToken,
            body: { member: account.id },
          }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 50, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 413).length, 50, `statuses: ${statuses.join(',')}`);
      for (const url of nodes()) {
        const list = await httpRequest(url, 'GET', `/v2/images/${imageId}/members`, { token: ownerToken });
        assert.equal((list.body as { members: unknown[] }).members.length, 50);
      }
    });

    it(`${2 * QUOTA} concurrent creates by one account across both nodes make exactly ${QUOTA} images`, async () => {
      const creator = await t.createAccount();
      const token = await t.token(creator);
      const responses = await Promise.all(
        Array.from({ length: 2 * QUOTA }, (_, i) =>
          httpRequest(nodes()[i % 2] as string, 'POST', '/v2/images', { token, body: { name: `q${i}` } }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 201).length, QUOTA, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 413).length, QUOTA, `statuses: ${statuses.join(',')}`);
      const list = await httpRequest(second.url, 'GET', `/v2/images?owner=${creator.id}&limit=100`, {
        token,
      });
      assert.equal((list.body as { images: unknown[] }).images.length, QUOTA);
    });

    it('concurrent draft-4 adds of one property across both nodes: exactly one wins, the rest 409', async () => {
      const imageId = await newImage();
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          httpRequest(nodes()[i % 2] as string, 'PATCH', `/v2/images/${imageId}`, {
            token: ownerToken,
            headers: { 'content-type': 'application/openstack-images-v2.0-json-patch' },
            body: JSON.stringify([{ add: '/flavour', value: `v${i}` }]),
          }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 409).length, 9, `statuses: ${statuses.join(',')}`);
      const winner = responses.find((r) => r.status === 200)?.body as { flavour: string };
      const image = await httpRequest(t.url, 'GET', `/v2/images/${imageId}`, { token: ownerToken });
      assert.equal((image.body as { flavour: string }).flavour, winner.flavour);
    });

    it('a delete racing shares on the other node never leaves a deleted image with members', async () => {
      for (let round = 0; round < 5; round++) {
        const imageId = await newImage();
        const receivers = await Promise.all(Array.from({ length: 5 }, () => t.createAccount()));
        const shares = receivers.map((r, i) =>
          httpRequest(nodes()[i % 2] as string, 'POST', `/v2/images/${imageId}/members`, {
            token: ownerToken,
            body: { member: r.id },
          }),
        );
        const remove = httpRequest(second.url, 'DELETE', `/v2/images/${imageId}`, { token: ownerToken });
        const [deleted, ...added] = await Promise.all([remove, ...shares]);
        // Either the delete came first (then shares find no image) or a share did (then the delete is
        // refused while the image is shared): never both a successful delete and a successful share.
        const shared = added.filter((r) => r.status === 200).length;
        if (deleted.status === 204) {
          assert.equal(shared, 0, `deleted, yet ${shared} shares succeeded`);
          assert.ok(added.every((r) => r.status === 404));
        } else {
          assert.equal(deleted.status, 409, deleted.text);
          assert.ok(shared > 0);
          const members = await httpRequest(t.url, 'GET', `/v2/images/${imageId}/members`, {
            token: ownerToken,
          });
          assert.equal((members.body as { members: unknown[] }).members.length, shared);
        }
      }
    });
  });
});
