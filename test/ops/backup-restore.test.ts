// `imageshare backup` of a live SQLite server while it takes writes (accounts, uploads, shares, API keys,
// deletes), `imageshare restore` onto a fresh data folder, a server started there: every row of the backup is
// restored, everything made before the backup is there unchanged, every image's data downloads with the
// same hash, and a token and an API key made before the backup still work (the master key came along).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { cliArgs, repoRoot } from '../helpers/cli.js';
import { databaseTargets } from '../helpers/databases.js';
import {
  httpRequest,
  issueToken,
  spawnServer,
  startTestServer,
  type ServerProcess,
  type TestAccount,
  type TestServer,
} from '../helpers/server.js';
import { cvmClient, type Key } from '../helpers/tencent.js';

const exec = promisify(execFile);
const sqlite = databaseTargets[0]!;

const TABLES = [
  'accounts',
  'tokens',
  'login_failures',
  'api_keys',
  'used_nonces',
  'images',
  'image_properties',
  'image_tags',
  'image_members',
  'instances',
];
/** Primary-key columns per table, to match rows between databases. */
const KEYS: Record<string, string[]> = {
  accounts: ['id'],
  tokens: ['token_hash'],
  login_failures: ['key'],
  api_keys: ['secret_id'],
  used_nonces: ['secret_id', 'nonce'],
  images: ['id'],
  image_properties: ['image_id', 'key'],
  image_tags: ['image_id', 'tag'],
  image_members: ['image_id', 'member_id'],
  instances: ['id'],
};

type Row = Record<string, unknown>;

/** Every row of every table, keyed by primary key; images without blob_key (the restore gives new keys). */
function dump(file: string): Map<string, Map<string, Row>> {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const out = new Map<string, Map<string, Row>>();
    for (const table of TABLES) {
      const rows = new Map<string, Row>();
      for (const row of db.prepare(`select * from ${table}`).all() as Row[]) {
        const key = (KEYS[table] as string[]).map((k) => String(row[k])).join('|');
        if (table === 'images') {
          row.has_blob = row.blob_key !== null;
          delete row.blob_key;
        }
        rows.set(key, row);
      }
      out.set(table, rows);
    }
    return out;
  } finally {
    db.close();
  }
}

async function cli(...args: string[]) {
  return exec(process.execPath, cliArgs(...args), {
    cwd: repoRoot,
    env: { ...process.env, IMAGESHARE_CONFIG: '' },
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('backup and restore of a live SQLite server', () => {
  let t: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'imageshare-backup-'));
  const backupDir = join(work, 'backup');
  const restoredDir = join(work, 'restored');
  const accounts = new Map<string, TestAccount>();
  /** sha256 of every image's data, by image ID. */
  const data = new Map<string, string>();
  const before_ = { images: [] as string[], token: '', key: undefined as Key | undefined, owner: '' };
  const writes = { images: 0, deleted: 0, shares: 0, keys: 0 };
  let restored: ServerProcess | undefined;

  before(async () => {
    t = await startTestServer({ target: sqlite, overrides: { 'sharing.maxAccountsPerImage': '1000' } });
  });
  after(async () => {
    await restored?.stop();
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function newAccount(): Promise<TestAccount & { token: string }> {
    const account = await t.createAccount();
    accounts.set(account.id, account);
    return { ...account, token: await t.token(account) };
  }

  async function imageWithData(token: string, size: number): Promise<string> {
    const created = await t.request('POST', '/v2/images', {
      token,
      body: { name: 'backed-up', disk_format: 'raw', container_format: 'bare', tags: ['b'], flavour: 'x' },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.body as { id: string }).id;
    const bytes = randomBytes(size);
    const put = await t.request('PUT', `/v2/images/${id}/file`, {
      token,
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 204, put.text);
    data.set(id, sha256(bytes));
    return id;
  }

  it('backs up while writes go on, and restores onto a fresh data folder', async () => {
    // Made before the backup: must all come back exactly.
    const owner = await newAccount();
    const receiver = await newAccount();
    before_.owner = owner.id;
    before_.token = owner.token;
    for (let i = 0; i < 6; i++) before_.images.push(await imageWithData(owner.token, 50_000 + i * 7_000));
    for (const id of before_.images.slice(0, 3)) {
      const res = await t.request('POST', `/v2/images/${id}/members`, {
        token: owner.token,
        body: { member: receiver.id },
      });
      assert.equal(res.status, 200, res.text);
    }
    before_.key = await t.server.services.apiKeys.create(owner.id);
    const beforeBackup = dump(join(t.database.dataDir, 'imageshare.sqlite'));

    // Writes while the backup runs: new accounts and keys, uploads, shares, and uploads deleted again.
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        const user = await newAccount();
        const id = await imageWithData(user.token, 20_000 + writes.images * 1_000);
        writes.images++;
        const share = await t.request('POST', `/v2/images/${id}/members`, {
          token: user.token,
          body: { member: receiver.id },
        });
        assert.equal(share.status, 200, share.text);
        writes.shares++;
        await t.server.services.apiKeys.create(user.id);
        writes.keys++;
        const doomed = await imageWithData(user.token, 30_000);
        const removed = await t.request('DELETE', `/v2/images/${doomed}`, { token: user.token });
        assert.equal(removed.status, 204, removed.text);
        writes.deleted++;
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const out = await cli('backup', '--out', backupDir, '--data-dir', t.database.dataDir);
      assert.match(out.stdout, /backup written to/);
    } finally {
      stop = true;
      await writer;
    }
    assert.ok(writes.images >= 2, `only ${writes.images} write rounds ran during the backup`);

    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as {
      database: string;
      masterKey: string;
      blobs: { key: string }[];
    };
    assert.equal(manifest.database, 'sqlite');
    assert.equal(manifest.masterKey, 'file');
    assert.deepEqual(
      readdirSync(join(backupDir, 'blobs')).sort(),
      manifest.blobs.map((b) => b.key).sort(),
      'the backup holds exactly the blobs its database refers to',
    );

    const out = await cli('restore', '--from', backupDir, '--data-dir', restoredDir);
    assert.match(out.stdout, /restored \d+ blobs and the database/);

    // Every row of the backup is restored.
    const snapshot = dump(join(backupDir, 'imageshare.sqlite'));
    const restoredRows = dump(join(restoredDir, 'imageshare.sqlite'));
    for (const table of TABLES) {
      assert.deepEqual(
        restoredRows.get(table),
        snapshot.get(table),
        `table ${table} differs from the backup`,
      );
    }
    // Everything made before the backup is in it, unchanged (the writes never touched those rows).
    for (const [table, rows] of beforeBackup) {
      if (table === 'login_failures' || table === 'tokens') continue; // the writer's logins add/undo these
      for (const [key, row] of rows) {
        assert.deepEqual(restoredRows.get(table)?.get(key), row, `${table} ${key} lost or changed`);
      }
    }
    for (const [key, row] of beforeBackup.get('tokens')!) {
      assert.deepEqual(restoredRows.get('tokens')?.get(key), row, `token ${key} lost`);
    }
    // The writes that made it into the backup are whole: no member of a missing image, no active image
    // without data, and every image written during the backup is either in it whole or not at all.
    const images = restoredRows.get('images')!;
    for (const member of restoredRows.get('image_members')!.values()) {
      assert.ok(images.has(String(member.image_id)), 'member row of an image the backup lacks');
    }
    for (const image of images.values()) {
      if (image.status === 'active') assert.equal(image.has_blob, true, `active image ${String(image.id)}`);
    }
    assert.equal(
      readFileSync(join(restoredDir, 'master.key'), 'utf8'),
      readFileSync(join(t.database.dataDir, 'master.key'), 'utf8'),
    );
  });

  it('a server on the restored folder serves every image byte-identical, old tokens and API keys', async () => {
    assert.ok(existsSync(join(restoredDir, 'imageshare.sqlite')), 'the restore did not run');
    const server = await spawnServer(['--data-dir', restoredDir], { IMAGESHARE_LOG__LEVEL: 'warn' });
    restored = server;
    const restoredRows = dump(join(restoredDir, 'imageshare.sqlite'));
    const active = [...restoredRows.get('images')!.values()].filter((i) => i.status === 'active');
    for (const id of before_.images)
      assert.ok(
        active.some((i) => i.id === id),
        `image ${id} lost`,
      );
    const tokens = new Map<string, string>();
    for (const image of active) {
      const ownerId = String(image.owner_id);
      const account = accounts.get(ownerId);
      assert.ok(account, `image ${String(image.id)} of an unknown owner`);
      if (!tokens.has(ownerId)) tokens.set(ownerId, await issueToken(server.url, account));
      const res = await fetch(`${server.url}/v2/images/${String(image.id)}/file`, {
        headers: { 'x-auth-token': tokens.get(ownerId)! },
      });
      assert.equal(res.status, 200, `download of ${String(image.id)}`);
      const got = sha256(Buffer.from(await res.arrayBuffer()));
      assert.equal(got, data.get(String(image.id)), `image ${String(image.id)} data differs`);
    }

    // A token issued before the backup still authenticates.
    const list = await httpRequest(server.url, 'GET', '/v2/images', { token: before_.token });
    assert.equal(list.status, 200, list.text);
    // An API key made before the backup still signs Tencent calls: its sealed SecretKey opened with the
    // restored master key.
    const client = cvmClient(server.url, before_.key!);
    const described = await client.DescribeImages({ ImageIds: before_.images.slice(0, 2) });
    assert.deepEqual(
      (described.ImageSet ?? []).map((i) => i.ImageId).sort(),
      before_.images.slice(0, 2).sort(),
    );
  });

  it('refuses to restore over an existing database or into a non-empty backup folder', async () => {
    await assert.rejects(cli('restore', '--from', backupDir, '--data-dir', restoredDir), (err) => {
      assert.match((err as { stderr: string }).stderr, /exists: restore onto a fresh data folder/);
      return true;
    });
    await assert.rejects(cli('backup', '--out', backupDir, '--data-dir', t.database.dataDir), (err) => {
      assert.match((err as { stderr: string }).stderr, /is not empty/);
      return true;
    });
  });
});

// PostgreSQL as docs/deploy.md describes it: pg_dump, then `backup --no-database` for the blobs and the master
// key; pg_restore into a new database, then `restore --no-database` puts the blobs back.
describe(
  'backup and restore with PostgreSQL (pg_dump + backup --no-database)',
  {
    skip: databaseTargets[1]!.skipReason ?? false,
  },
  () => {
    const pgUrl = process.env.TEST_DATABASE_URL ?? '';
    const work = mkdtempSync(join(tmpdir(), 'imageshare-pg-backup-'));
    const restoredDb = `imageshare_restore_${randomBytes(4).toString('hex')}`;
    const restoredUrl = new URL(pgUrl);
    restoredUrl.pathname = `/${restoredDb}`;
    let t: TestServer;
    let server: ServerProcess | undefined;

    before(async () => {
      t = await startTestServer({ target: databaseTargets[1]! });
    });
    after(async () => {
      await server?.stop();
      await t?.close();
      await exec('psql', [pgUrl, '-qc', `drop database if exists ${restoredDb}`]).catch(() => {});
      rmSync(work, { recursive: true, force: true });
    });

    it('restores every row and blob into a new database, and old API keys still sign', async () => {
      const owner = await t.createAccount();
      const receiver = await t.createAccount();
      const token = await t.token(owner);
      const hashes = new Map<string, string>();
      for (let i = 0; i < 3; i++) {
        const created = await t.request('POST', '/v2/images', {
          token,
          body: { name: `pg-${i}`, disk_format: 'raw', container_format: 'bare' },
        });
        const id = (created.body as { id: string }).id;
        const bytes = randomBytes(40_000 + i);
        const put = await t.request('PUT', `/v2/images/${id}/file`, {
          token,
          body: bytes,
          headers: { 'content-type': 'application/octet-stream' },
        });
        assert.equal(put.status, 204, put.text);
        hashes.set(id, sha256(bytes));
        await t.request('POST', `/v2/images/${id}/members`, { token, body: { member: receiver.id } });
      }
      const key = await t.server.services.apiKeys.create(owner.id);
      const schema = t.database.schema as string;
      const db = ['--database-url', pgUrl, '--database-schema', schema];

      const dump = join(work, 'imageshare.dump');
      await exec('pg_dump', ['--format=custom', `--schema=${schema}`, `--file=${dump}`, pgUrl]);
      await cli(
        'backup',
        '--no-database',
        '--out',
        join(work, 'blobs'),
        '--data-dir',
        t.database.dataDir,
        ...db,
      );

      await exec('psql', [pgUrl, '-qc', `create database ${restoredDb}`]);
      await exec('pg_restore', ['--no-owner', `--dbname=${restoredUrl.href}`, dump]);
      const freshDir = join(work, 'node');
      const restoredArgs = [
        '--database-url',
        restoredUrl.href,
        '--database-schema',
        schema,
        '--data-dir',
        freshDir,
      ];
      const out = await cli('restore', '--no-database', '--from', join(work, 'blobs'), ...restoredArgs);
      assert.match(out.stdout, /restored 3 blobs/);

      // Same rows in both databases (blob keys aside: the restore gave the data new keys).
      const rows = async (url: string) => {
        const { stdout } = await exec('psql', [
          url,
          '-Atc',
          `set search_path=${schema}; select id, owner_id, status, size, checksum, os_hash_value from images order by id;
         select image_id, member_id, status from image_members order by 1, 2;
         select id, name, password_hash from accounts order by id;
         select secret_id, account_id, secret_key_encrypted from api_keys order by 1;`,
        ]);
        return stdout;
      };
      assert.equal(await rows(restoredUrl.href), await rows(pgUrl));

      const node = await spawnServer(restoredArgs, { IMAGESHARE_LOG__LEVEL: 'warn' });
      server = node;
      const restoredToken = await issueToken(node.url, owner);
      for (const [id, hash] of hashes) {
        const res = await fetch(`${node.url}/v2/images/${id}/file`, {
          headers: { 'x-auth-token': restoredToken },
        });
        assert.equal(res.status, 200);
        assert.equal(sha256(Buffer.from(await res.arrayBuffer())), hash, `image ${id}`);
      }
      const described = await cvmClient(node.url, key).DescribeImages({ ImageIds: [...hashes.keys()] });
      assert.equal(described.ImageSet?.length, 3);
    });
  },
);
