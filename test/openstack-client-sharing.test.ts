// The openstack-client sharing scenario (as /work/shared/peers/glance/client-scenario.sh runs it against
// real Glance), with Debian's `openstack` (python3-openstackclient) against a real server: the owner creates
// an image from a file and shares it; the receiver accepts it, lists it, reads its members, and is refused
// every change (rename, delete, onward share) while the image stays as it was; the owner cancels the share,
// downloads the image (bytes and checksums match) and deletes it.
// Skips when /usr/bin/openstack is missing, unless REQUIRE_ALL_SUITES=1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forEachDatabase } from './helpers/databases.js';
import { OPENSTACK, openstackEnv, openstackSkipReason } from './helpers/openstack.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';

const missing = openstackSkipReason();
const REGION = 'ap-guangzhou';

interface OscResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface ImageView {
  id: string;
  name: string;
  status: string;
  owner: string;
  visibility: string;
  checksum: string;
  size: number;
  /** openstackclient shows os_hash_algo and os_hash_value among the properties (as it does for Glance). */
  properties: Record<string, unknown>;
}

interface ListedImage {
  ID: string;
  Name: string;
  Status: string;
}

interface MemberRow {
  'Image ID': string;
  'Member ID': string;
  Status: string;
}

/** Runs `openstack <args>` as the account; never rejects: the exit code is part of the result. */
function osc(t: TestServer, account: TestAccount, args: string[]): Promise<OscResult> {
  return new Promise((resolve) => {
    execFile(
      OPENSTACK,
      args,
      { env: openstackEnv(t, account, { OS_REGION_NAME: REGION }), timeout: 60000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** `openstack <args> -f json` that must succeed; returns the parsed output. */
async function oscJson<T>(t: TestServer, account: TestAccount, args: string[]): Promise<T> {
  const res = await osc(t, account, [...args, '-f', 'json']);
  assert.equal(res.code, 0, `openstack ${args.join(' ')} failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

/** A command with no output (set, delete, save, remove) that must succeed. */
async function oscOk(t: TestServer, account: TestAccount, args: string[]): Promise<void> {
  const res = await osc(t, account, args);
  assert.equal(res.code, 0, `openstack ${args.join(' ')} failed: ${res.stderr}`);
}

/** A command that must be refused: non-zero exit and an HTTP error status in the message. */
async function oscRefused(t: TestServer, account: TestAccount, args: string[], status: RegExp) {
  const res = await osc(t, account, args);
  assert.notEqual(res.code, 0, `openstack ${args.join(' ')} should have failed:\n${res.stdout}`);
  assert.match(res.stderr, status, `openstack ${args.join(' ')}: unexpected error:\n${res.stderr}`);
}

forEachDatabase((target) => {
  describe(
    `openstack client sharing scenario on ${target.dialect}`,
    { skip: missing ?? target.skipReason ?? false },
    () => {
      let t: TestServer;
      let owner: TestAccount;
      let receiver: TestAccount;
      let stranger: TestAccount;
      let dir: string;
      let data: Buffer;
      let imageId: string;
      const name = `osc-shared-${randomBytes(3).toString('hex')}`;

      const tokens = new Map<string, string>();
      /** A read over the image API as the account (verification only; the scenario steps use the client). */
      const api = async (account: TestAccount, path: string) => {
        let token = tokens.get(account.id);
        if (!token) {
          token = await t.token(account);
          tokens.set(account.id, token);
        }
        return t.request('GET', path, { token, headers: { accept: 'application/json' } });
      };
      const apiImage = async (account: TestAccount) => {
        const res = await api(account, `/v2/images/${imageId}`);
        return { status: res.status, image: res.body as Record<string, unknown> };
      };
      const apiListIds = async (account: TestAccount, query = '') => {
        const res = await api(account, `/v2/images${query}`);
        assert.equal(res.status, 200, res.text);
        return (res.body as { images: { id: string }[] }).images.map((i) => i.id);
      };
      const apiMembers = async () => {
        const res = await api(owner, `/v2/images/${imageId}/members`);
        assert.equal(res.status, 200, res.text);
        return (res.body as { members: { member_id: string; status: string }[] }).members.map((m) => [
          m.member_id,
          m.status,
        ]);
      };
      const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
      const sha512 = (bytes: Buffer) => createHash('sha512').update(bytes).digest('hex');

      /** The image is exactly as created, shared with the receiver only: nothing a refused attempt changed. */
      const assertUnchanged = async () => {
        const { status, image } = await apiImage(owner);
        assert.equal(status, 200);
        assert.equal(image.name, name);
        assert.equal(image.status, 'active');
        assert.equal(image.owner, owner.id);
        assert.equal(image.size, data.length);
        assert.equal(image.checksum, md5(data));
        assert.deepEqual(await apiMembers(), [[receiver.id, 'accepted']]);
      };

      before(async () => {
        t = await startTestServer({ target });
        owner = await t.createAccount();
        receiver = await t.createAccount();
        stranger = await t.createAccount();
        dir = mkdtempSync(join(tmpdir(), 'imageshare-osc-'));
        data = randomBytes(1024 * 1024 + 17);
        writeFileSync(join(dir, 'image.raw'), data);
      });
      after(async () => {
        await t?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('owner creates an image from a file: active, shared visibility, checksums of the bytes', async () => {
        const created = await oscJson<ImageView>(t, owner, [
          'image',
          'create',
          '--disk-format',
          'raw',
          '--container-format',
          'bare',
          '--file',
          join(dir, 'image.raw'),
          name,
        ]);
        imageId = created.id;
        assert.match(imageId, /^img-[a-z0-9]{8}$/);
        const view = await oscJson<ImageView>(t, owner, ['image', 'show', imageId]);
        assert.equal(view.name, name);
        assert.equal(view.status, 'active');
        assert.equal(view.owner, owner.id);
        assert.equal(view.visibility, 'shared');
        assert.equal(view.size, data.length);
        assert.equal(view.checksum, md5(data));
        assert.equal(view.properties.os_hash_algo, 'sha512');
        assert.equal(view.properties.os_hash_value, sha512(data));
      });

      it('owner shares it with the receiver by account ID: a pending member', async () => {
        const member = await oscJson<Record<string, string>>(t, owner, [
          'image',
          'add',
          'project',
          imageId,
          receiver.id,
        ]);
        assert.equal(member.member_id, receiver.id);
        assert.equal(member.image_id, imageId);
        assert.equal(member.status, 'pending');
        const rows = await oscJson<MemberRow[]>(t, owner, ['image', 'member', 'list', imageId]);
        assert.deepEqual(
          rows.map((m) => [m['Image ID'], m['Member ID'], m.Status]),
          [[imageId, receiver.id, 'pending']],
        );
        // Pending shares stay out of the receiver's default list, but show with member_status=pending.
        assert.ok(!(await apiListIds(receiver)).includes(imageId));
        assert.ok((await apiListIds(receiver, '?member_status=pending')).includes(imageId));
      });

      it('receiver accepts it and then sees it in its image list and its member list', async () => {
        await oscOk(t, receiver, ['image', 'set', '--accept', imageId]);
        const listed = await oscJson<ListedImage[]>(t, receiver, ['image', 'list']);
        assert.deepEqual(
          listed.filter((i) => i.ID === imageId).map((i) => [i.Name, i.Status]),
          [[name, 'active']],
        );
        const own = await oscJson<MemberRow[]>(t, receiver, ['image', 'member', 'list', imageId]);
        assert.deepEqual(
          own.map((m) => [m['Image ID'], m['Member ID'], m.Status]),
          [[imageId, receiver.id, 'accepted']],
        );
        // Someone it was not shared with sees nothing.
        assert.equal((await apiImage(stranger)).status, 404);
        assert.ok(!(await apiListIds(stranger, '?member_status=all')).includes(imageId));
      });

      it('receiver downloads it: the same bytes', async () => {
        const out = join(dir, 'receiver.raw');
        await oscOk(t, receiver, ['image', 'save', '--file', out, imageId]);
        assert.ok(readFileSync(out).equals(data));
      });

      it('receiver may not rename it', async () => {
        await oscRefused(t, receiver, ['image', 'set', '--name', 'stolen', imageId], /403|Forbidden/i);
        await assertUnchanged();
      });

      it('receiver may not delete it', async () => {
        await oscRefused(t, receiver, ['image', 'delete', imageId], /403|Forbidden/i);
        await assertUnchanged();
      });

      it('receiver may not share it onward', async () => {
        await oscRefused(t, receiver, ['image', 'add', 'project', imageId, stranger.id], /403|Forbidden/i);
        await assertUnchanged();
        assert.equal((await apiImage(stranger)).status, 404);
      });

      it('owner cancels the share: the receiver no longer sees the image', async () => {
        await oscOk(t, owner, ['image', 'remove', 'project', imageId, receiver.id]);
        assert.deepEqual(await apiMembers(), []);
        assert.ok(!(await apiListIds(receiver, '?member_status=all')).includes(imageId));
        assert.equal((await apiImage(receiver)).status, 404);
      });

      it('owner downloads it: bytes, MD5 and SHA-512 match the upload', async () => {
        const out = join(dir, 'owner.raw');
        await oscOk(t, owner, ['image', 'save', '--file', out, imageId]);
        const got = readFileSync(out);
        assert.equal(got.length, data.length);
        const { image } = await apiImage(owner);
        assert.equal(md5(got), image.checksum);
        assert.equal(sha512(got), image.os_hash_value);
        assert.ok(got.equals(data));
      });

      it('owner deletes it: gone from show and from the list', async () => {
        await oscOk(t, owner, ['image', 'delete', imageId]);
        assert.equal((await apiImage(owner)).status, 404);
        assert.ok(!(await apiListIds(owner)).includes(imageId));
        await oscRefused(t, owner, ['image', 'show', imageId], /No Image found/);
      });
    },
  );
});
