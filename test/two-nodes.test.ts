// Two service processes, started together, on one PostgreSQL database and one image store (a shared folder,
// and an S3 bucket on the real S3 test server), as on
// two machines behind a load balancer: data uploaded through one downloads byte-identical through the other,
// a token issued by one works on the other, 200 concurrent shares split across both nodes (Glance and
// Tencent mixed) stop at exactly the configured maximum, and deletes racing shares never leave a member row
// of a deleted image (checked in SQL).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { newAccountId } from '../src/domain/ids.js';
import { openServices } from '../src/main.js';
import type { Db } from '../src/repositories/db/database.js';
import type { Services } from '../src/services/container.js';
import { blobTargets, type BlobPlace } from './helpers/blob-targets.js';
import { databaseTargets, freshSchemaName } from './helpers/databases.js';
import {
  httpRequest,
  issueToken,
  spawnServers,
  type ServerProcess,
  type TestAccount,
} from './helpers/server.js';
import { cvmClient, sdkErrorCode, type Key } from './helpers/tencent.js';

const postgres = databaseTargets[1]!;
const MAX_MEMBERS = 50;

for (const blob of blobTargets) {
  describe(
    `two nodes on one PostgreSQL database and one ${blob.name === 's3' ? 'S3 bucket' : 'shared image folder'}`,
    { skip: postgres.skipReason ?? blob.skipReason ?? false },
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-two-nodes-'));
      const schema = freshSchemaName();
      const databaseUrl = process.env.TEST_DATABASE_URL ?? '';
      const masterKey = randomBytes(32).toString('base64');
      let a: ServerProcess;
      let b: ServerProcess;
      let db: Db;
      let services: Services;
      let owner: TestAccount;
      let ownerToken: string;
      let ownerKey: Key;
      let place: BlobPlace;

      before(async () => {
        const admin = { id: newAccountId(), password: randomBytes(12).toString('base64url') };
        const args = ['--data-dir', dataDir, '--database-url', databaseUrl, '--database-schema', schema];
        place = await blob.create();
        const env = {
          ...place.env,
          IMAGESHARE_LOG__LEVEL: 'warn',
          IMAGESHARE_MASTER_KEY: masterKey,
          IMAGESHARE_ADMIN_ID: admin.id,
          IMAGESHARE_ADMIN_PASSWORD: admin.password,
          IMAGESHARE_SHARING__MAX_ACCOUNTS_PER_IMAGE: String(MAX_MEMBERS),
          IMAGESHARE_LOGIN__MAX_FAILURES_PER_ADDRESS: '100000',
        };
        // Both nodes start at once on an empty schema: migrations and the first-admin bootstrap race.
        [a, b] = (await spawnServers(2, args, env, 60000)) as [ServerProcess, ServerProcess];
        const announced = [...a.stdout, ...b.stdout].filter((l) => l.startsWith('admin account:'));
        assert.equal(announced.length, 1, `admin bootstrapped ${announced.length} times`);

        // The test's own handle on the same database, for accounts, API keys and SQL checks.
        const config = loadConfig({
          env: {},
          file: '',
          overrides: { dataDir, 'database.url': databaseUrl, 'database.schema': schema, masterKey },
        });
        ({ db, services } = await openServices(config));
        owner = await account();
        ownerToken = await issueToken(a.url, owner);
        ownerKey = await services.apiKeys.create(owner.id);
      });
      after(async () => {
        await Promise.all([a?.stop(), b?.stop()]);
        if (db) {
          await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
          await db.close();
        }
        await place?.close();
        rmSync(dataDir, { recursive: true, force: true });
      });

      let counter = 0;
      async function account(): Promise<TestAccount> {
        const password = randomBytes(12).toString('base64url');
        counter += 1;
        const created = await services.accounts.create({
          name: `node-${counter}-${randomBytes(3).toString('hex')}`,
          password,
          isAdmin: false,
        });
        return { id: created.account.id, name: created.account.name, password, isAdmin: false };
      }

      /** `n` accounts, made eight at a time (password hashing is the slow part). */
      async function accounts(n: number): Promise<TestAccount[]> {
        const out: TestAccount[] = [];
        while (out.length < n) {
          out.push(
            ...(await Promise.all(Array.from({ length: Math.min(8, n - out.length) }, () => account()))),
          );
        }
        return out;
      }

      /** An active image of the owner, created and uploaded through `node`; returns its ID and data. */
      async function activeImage(node: ServerProcess, size = 1024): Promise<{ id: string; data: Buffer }> {
        const created = await httpRequest(node.url, 'POST', '/v2/images', {
          token: ownerToken,
          body: { name: 'two-nodes', disk_format: 'raw', container_format: 'bare' },
        });
        assert.equal(created.status, 201, created.text);
        const id = (created.body as { id: string }).id;
        const data = randomBytes(size);
        const put = await httpRequest(node.url, 'PUT', `/v2/images/${id}/file`, {
          token: ownerToken,
          body: data,
          headers: { 'content-type': 'application/octet-stream' },
        });
        assert.equal(put.status, 204, put.text);
        return { id, data };
      }

      const nodes = () => [a, b];
      const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

      it('an image uploaded through node A downloads byte-identical through node B, whole and by range', async () => {
        const { id, data } = await activeImage(a, 8 * 1024 * 1024 + 123);
        const whole = await fetch(`${b.url}/v2/images/${id}/file`, {
          headers: { 'x-auth-token': ownerToken },
        });
        assert.equal(whole.status, 200);
        assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), sha256(data));
        const part = await fetch(`${b.url}/v2/images/${id}/file`, {
          headers: { 'x-auth-token': ownerToken, range: 'bytes=1000000-1000999' },
        });
        assert.equal(part.status, 206);
        assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(1_000_000, 1_001_000));
      });

      it('a token issued by node A works on node B; revoked on B, it stops working on A', async () => {
        const user = await account();
        const token = await issueToken(a.url, user);
        assert.equal((await httpRequest(b.url, 'GET', '/v2/images', { token })).status, 200);
        const validated = await httpRequest(b.url, 'GET', '/identity/v3/auth/tokens', {
          token,
          headers: { 'x-subject-token': token },
        });
        assert.equal(validated.status, 200, validated.text);
        const revoked = await httpRequest(b.url, 'DELETE', '/identity/v3/auth/tokens', {
          token,
          headers: { 'x-subject-token': token },
        });
        assert.equal(revoked.status, 204, revoked.text);
        assert.equal((await httpRequest(a.url, 'GET', '/v2/images', { token })).status, 401);
      });

      it(`200 concurrent shares across both nodes, Glance and Tencent mixed, end with exactly ${MAX_MEMBERS} members`, async () => {
        const { id } = await activeImage(a);
        const receivers = await accounts(200);
        const tencent = nodes().map((node) => cvmClient(node.url, ownerKey));
        const outcomes = await Promise.all(
          receivers.map(async (receiver, i): Promise<'shared' | 'refused'> => {
            const node = i % 2;
            if (i % 4 < 2) {
              const res = await httpRequest(nodes()[node]!.url, 'POST', `/v2/images/${id}/members`, {
                token: ownerToken,
                body: { member: receiver.id },
              });
              if (res.status === 200) return 'shared';
              assert.equal(res.status, 413, res.text);
              return 'refused';
            }
            const call = () =>
              tencent[node]!.ModifyImageSharePermission({
                ImageId: id,
                AccountIds: [receiver.id],
                Permission: 'SHARE',
              });
            try {
              await call();
              return 'shared';
            } catch {
              // The only acceptable failure is the share limit.
              assert.equal(await sdkErrorCode(call), 'OverQuota');
              return 'refused';
            }
          }),
        );
        assert.equal(outcomes.filter((o) => o === 'shared').length, MAX_MEMBERS);
        assert.equal(outcomes.filter((o) => o === 'refused').length, 200 - MAX_MEMBERS);
        const rows = await db.kysely
          .selectFrom('image_members')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('image_id', '=', id)
          .executeTakeFirstOrThrow();
        assert.equal(Number(rows.n), MAX_MEMBERS);
        for (const node of nodes()) {
          const list = await httpRequest(node.url, 'GET', `/v2/images/${id}/members`, { token: ownerToken });
          assert.equal((list.body as { members: unknown[] }).members.length, MAX_MEMBERS);
        }
      });

      it('50 deletes racing 50 shares on one image: deleted with no members, or present with members', async () => {
        const receivers = await accounts(50);
        const tencent = nodes().map((node) => cvmClient(node.url, ownerKey));
        const endings = { deleted: 0, shared: 0 };
        for (let round = 0; round < 4; round++) {
          const { id } = await activeImage(round % 2 === 0 ? a : b);
          const deleteRequests: Promise<'ok' | 'no'>[] = [];
          const shareRequests: Promise<'ok' | 'no'>[] = [];
          // Even rounds send the deletes first; odd rounds hold them back 20 ms behind the shares (a share does
          // more work before it locks the image), so both endings come up.
          const sendDeletesFirst = round % 2 === 0;
          for (let i = 0; i < 50; i++) {
            const node = nodes()[i % 2]!;
            const remove = () =>
              httpRequest(node.url, 'DELETE', `/v2/images/${id}`, { token: ownerToken }).then((r) => {
                if (r.status === 204) return 'ok' as const;
                // Refused while shared (409), or already gone (404).
                assert.ok([404, 409].includes(r.status), `delete: ${r.status} ${r.text}`);
                return 'no' as const;
              });
            const receiver = receivers[i]!;
            const share = () =>
              i % 4 < 2
                ? httpRequest(nodes()[(i + 1) % 2]!.url, 'POST', `/v2/images/${id}/members`, {
                    token: ownerToken,
                    body: { member: receiver.id },
                  }).then((r) => (r.status === 200 ? ('ok' as const) : ('no' as const)))
                : tencent[(i + 1) % 2]!.ModifyImageSharePermission({
                    ImageId: id,
                    AccountIds: [receiver.id],
                    Permission: 'SHARE',
                  }).then(
                    () => 'ok' as const,
                    () => 'no' as const,
                  );
            if (sendDeletesFirst) {
              deleteRequests.push(remove());
              shareRequests.push(share());
            } else {
              shareRequests.push(share());
              deleteRequests.push(new Promise((resolve) => setTimeout(resolve, 20)).then(remove));
            }
          }
          const [deletes, shares] = await Promise.all([
            Promise.all(deleteRequests),
            Promise.all(shareRequests),
          ]);
          const image = await db.kysely
            .selectFrom('images')
            .select(['status', 'deleted_at'])
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          const members = await db.kysely
            .selectFrom('image_members')
            .select('member_id')
            .where('image_id', '=', id)
            .execute();
          if (image.deleted_at !== null) {
            endings.deleted++;
            assert.equal(deletes.filter((d) => d === 'ok').length, 1, 'exactly one delete succeeds');
            assert.equal(shares.filter((s) => s === 'ok').length, 0, 'a share succeeded on a deleted image');
            assert.equal(members.length, 0);
          } else {
            endings.shared++;
            assert.equal(deletes.filter((d) => d === 'ok').length, 0);
            assert.ok(members.length > 0);
            assert.equal(members.length, shares.filter((s) => s === 'ok').length);
          }
        }
        // Over the whole database: never a member row of a deleted image.
        const orphans = await sql<{ n: string }>`
      select count(*) as n from image_members m join images i on i.id = m.image_id
      where i.deleted_at is not null or i.status = 'deleted'`.execute(db.kysely);
        assert.equal(Number(orphans.rows[0]!.n), 0);
        assert.equal(endings.deleted + endings.shared, 4);
        console.log('delete/share race endings', endings);
      });
    },
  );
}
