// Crash safety: a real `imageshare serve` process is SIGKILLed at random moments of a mixed workload (streamed
// uploads, shares up to and past the limit, share cancels, image deletes, launches through Tencent's
// RunInstances), CRASH_KILLS times (default 20) on SQLite and on PostgreSQL, and restarted after each kill.
// Every fourth start is told to stop at a named point (an upload claimed, an upload's data stored but not
// committed, a delete's rows changed but not committed, a delete committed but its data not yet removed) and
// is killed there: windows too narrow for a random kill to find.
// After every kill, with the server down, every invariant is checked against the database and the blob store
// themselves:
//   - no image is active without its data whole: `images verify` (IntegrityService) re-reads every image's
//     blob and finds no missing, short or changed data, and no active image lacks a blob;
//   - no image that is deleted has members; no image has more members than the share limit;
//   - once the dead node's upload claims are stale, the sweep leaves no blob that no live image refers to and
//     no pending upload;
//   - counts agree: the share counts the console shows equal the member rows;
//   - nothing the server acknowledged is lost: every request answered 2xx before the kill (an image created,
//     its data stored with an MD5, a share, a cancel, a delete, a launch) is in the database as answered;
//     a request cut by the kill may have happened or not, nothing else.
// The workload checks itself too: it must have had uploads cut mid-way, and done every kind of operation.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/main.js';
import { openDatabase } from '../../src/repositories/db/database.js';
import { ShareStatsRepository } from '../../src/repositories/db/share-stats.repository.js';
import { forEachDatabase, freshSchemaName } from '../helpers/databases.js';
import { httpRequest, issueToken, spawnServer, type ServerProcess } from '../helpers/server.js';
import { startUpload } from '../helpers/streaming-upload.js';
import { tc3Request, type Key } from '../helpers/tencent.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SHARE_LIMIT = 3;
const RECEIVERS = 5;
/** One worker per owner, so that no two requests on one key are ever in flight together. */
const OWNERS = 3;
const CHUNK = 32 * 1024;
/** Named points where a server started with IMAGESHARE_TEST_PAUSE_AT stops for good (src/services/test-pause.ts). */
/** Statuses of a deleted image: purged, or in its owner's recycle bin (images.recycleBinDays, default 7). */
const GONE = ['deleted', 'pending_delete'];
const PAUSE_POINTS = ['upload:claimed', 'upload:stored', 'delete:before-commit', 'delete:committed'];

type Opened = Awaited<ReturnType<typeof openServices>>;

/** What the client was told: a value per key ("image:<id>", "data:<id>", "member:<id>:<account>"). */
interface LedgerEvent {
  key: string;
  value: string;
  state: 'pending' | 'acked';
}

class Ledger {
  events: LedgerEvent[] = [];
  stats = { acked: 0, cut: 0 };

  begin(key: string, value: string): LedgerEvent {
    const event: LedgerEvent = { key, value, state: 'pending' };
    this.events.push(event);
    return event;
  }
  ack(event: LedgerEvent) {
    event.state = 'acked';
    this.stats.acked += 1;
  }
  /** A clean refusal: the request did nothing. */
  refuse(event: LedgerEvent) {
    this.events.splice(this.events.indexOf(event), 1);
  }
  /**
   * For each key: the values the database may hold now. The last acknowledged value, or any value asked for
   * after it by a request the kill cut (which may or may not have been applied); `initial` when nothing was
   * acknowledged yet.
   */
  allowed(): Map<string, { values: Set<string>; definite: boolean }> {
    const byKey = new Map<string, LedgerEvent[]>();
    for (const e of this.events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
    const out = new Map<string, { values: Set<string>; definite: boolean }>();
    for (const [key, events] of byKey) {
      const lastAcked = events.map((e) => e.state).lastIndexOf('acked');
      const tail = events.slice(Math.max(0, lastAcked));
      const values = new Set(tail.map((e) => e.value));
      if (lastAcked < 0) values.add('initial');
      out.set(key, { values, definite: tail.length === 1 && lastAcked >= 0 });
    }
    return out;
  }
}

interface Owner {
  id: string;
  token: string;
  key: Key;
}

interface Figures {
  kills: number;
  acked: number;
  cut: number;
  uploadsCut: number;
  invariantChecks: number;
  /** Kills at a named point (the server had stopped there). */
  pausedKills: number;
  sweptBlobs: number;
  sweptUploads: number;
  ops: Record<string, number>;
}

/** One worker: operations on its owner's images, one at a time, until `stop` is set or the server dies. */
async function worker(
  url: string,
  owner: Owner,
  receivers: string[],
  ledger: Ledger,
  figures: Figures,
  stop: { set: boolean },
): Promise<void> {
  const count = (op: string) => (figures.ops[op] = (figures.ops[op] ?? 0) + 1);
  /** Runs one request under the ledger; false when the server is gone (the round is over). */
  const step = async (
    events: LedgerEvent[],
    call: () => Promise<{ status: number }>,
    okStatuses: number[],
    op: string,
  ): Promise<boolean> => {
    let status: number;
    try {
      status = (await call()).status;
    } catch {
      ledger.stats.cut += 1;
      return false; // cut by the kill: stays pending
    }
    if (okStatuses.includes(status)) {
      for (const e of events) ledger.ack(e);
      count(op);
    } else {
      for (const e of events) ledger.refuse(e);
      if (status >= 500) throw new Error(`${op}: ${status}`);
    }
    return true;
  };
  const ownImages = async () => {
    const res = await httpRequest(url, 'GET', '/v2/images?limit=1000', { token: owner.token });
    if (res.status !== 200) throw new Error(`list ${res.status}`);
    return (res.body as { images: { id: string; status: string; owner: string }[] }).images.filter(
      (i) => i.owner === owner.id,
    );
  };

  while (!stop.set) {
    let images: { id: string; status: string }[];
    try {
      images = await ownImages();
    } catch {
      return;
    }
    const pick = <T>(list: T[]) => list[randomInt(list.length)];
    const uploadable = images.filter((i) => i.status === 'queued' || i.status === 'saving');
    const active = images.filter((i) => i.status === 'active');
    const roll = randomInt(100);
    let alive = true;
    if (images.length < 4 || roll < 15) {
      // create
      let created: { status: number; body: unknown } | undefined;
      try {
        created = await httpRequest(url, 'POST', '/v2/images', {
          token: owner.token,
          body: { name: `crash-${randomInt(1e6)}`, disk_format: 'raw', container_format: 'bare' },
        });
      } catch {
        return;
      }
      if (created.status !== 201) throw new Error(`create ${created.status}`);
      ledger.ack(ledger.begin(`image:${(created.body as { id: string }).id}`, 'live'));
      count('create');
    } else if (uploadable.length > 0 && roll < 50) {
      // upload, streamed in chunks so that kills land in the middle of it
      const image = pick(uploadable)!;
      const data = randomBytes(CHUNK * randomInt(2, 24));
      const md5 = createHash('md5').update(data).digest('hex');
      const event = ledger.begin(`data:${image.id}`, md5);
      const upload = startUpload(url, owner.token, image.id);
      try {
        for (let at = 0; at < data.length; at += CHUNK) {
          await upload.write(data.subarray(at, at + CHUNK));
          if (randomInt(4) === 0) await sleep(2);
        }
        const res = await upload.end();
        if (res.status === 204) {
          ledger.ack(event);
          count('upload');
        } else {
          ledger.refuse(event); // e.g. 409: another round's claim is not stale yet
          if (res.status >= 500) throw new Error(`upload ${res.status} ${res.text}`);
        }
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('upload ')) throw err;
        upload.request.destroy();
        ledger.stats.cut += 1;
        figures.uploadsCut += 1;
        return;
      }
    } else if (active.length > 0 && roll < 70) {
      // share with several receivers at once: concurrent adds race for the last places
      const image = pick(active)!;
      const chosen = receivers.filter(() => randomInt(2) === 0);
      const results = await Promise.all(
        chosen.map((member) =>
          step(
            [ledger.begin(`member:${image.id}:${member}`, 'yes')],
            () =>
              httpRequest(url, 'POST', `/v2/images/${image.id}/members`, {
                token: owner.token,
                body: { member },
              }),
            [200, 409],
            'share',
          ),
        ),
      );
      alive = results.every(Boolean);
    } else if (active.length > 0 && roll < 80) {
      // cancel one share
      const image = pick(active)!;
      const member = pick(receivers)!;
      alive = await step(
        [ledger.begin(`member:${image.id}:${member}`, 'no')],
        () => httpRequest(url, 'DELETE', `/v2/images/${image.id}/members/${member}`, { token: owner.token }),
        [204, 404],
        'cancel',
      );
    } else if (active.length > 0 && roll < 90) {
      // launch through Tencent's API
      const image = pick(active)!;
      let res;
      try {
        res = await tc3Request(url, owner.key, {
          action: 'RunInstances',
          body: JSON.stringify({ ImageId: image.id, InstanceCount: 1 }),
        });
      } catch {
        ledger.stats.cut += 1;
        return;
      }
      const ids = res.body.Response.InstanceIdSet as string[] | undefined;
      if (ids) {
        for (const id of ids) ledger.ack(ledger.begin(`instance:${id}`, 'yes'));
        count('launch');
      } else if (res.status >= 500) throw new Error(`launch ${res.status}`);
    } else if (images.length > 2) {
      // delete (profile openstack: its shares are cancelled with it)
      const image = pick(images)!;
      const events = [
        ledger.begin(`image:${image.id}`, 'gone'),
        ...receivers.map((m) => ledger.begin(`member:${image.id}:${m}`, 'no')),
      ];
      alive = await step(
        events,
        () => httpRequest(url, 'DELETE', `/v2/images/${image.id}`, { token: owner.token }),
        [204],
        'delete',
      );
    }
    if (!alive) return;
  }
}

/** Every invariant, with the server down. Returns how many checks were made. */
async function checkInvariants(
  opened: Opened,
  ledger: Ledger,
  figures: Figures,
  label: string,
): Promise<number> {
  const db = opened.db.kysely;
  let checks = 0;
  const check = (ok: boolean, message: string) => {
    checks += 1;
    assert.ok(ok, `${label}: ${message}`);
  };

  // 1. No active image without its whole data.
  const noBlob = await db
    .selectFrom('images')
    .select('id')
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('blob_key', 'is', null), eb('size', 'is', null), eb('checksum', 'is', null)]))
    .execute();
  check(noBlob.length === 0, `active images without data: ${JSON.stringify(noBlob)}`);
  const verified = await opened.services.integrity.verify({ mark: false });
  check(
    verified.findings.length === 0,
    `images whose data is not whole: ${JSON.stringify(verified.findings)}`,
  );

  // 2. No member of a deleted image; 3. never more members than the limit.
  const deletedMembers = await db
    .selectFrom('image_members as m')
    .innerJoin('images as i', 'i.id', 'm.image_id')
    .select(['m.image_id', 'm.member_id'])
    .where('i.status', '=', 'deleted')
    .execute();
  check(deletedMembers.length === 0, `members of deleted images: ${JSON.stringify(deletedMembers)}`);
  const perImage = await db
    .selectFrom('image_members')
    .select(['image_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('image_id')
    .execute();
  check(
    perImage.every((r) => Number(r.n) <= SHARE_LIMIT),
    `over the share limit: ${JSON.stringify(perImage)}`,
  );

  // 4. After the dead node's claims go stale, the sweep leaves nothing unreferenced.
  await sleep(1100);
  const swept = await opened.services.blobSweep.sweep({ dryRun: false, graceSeconds: 0 });
  check(swept.failures === 0, 'sweep failures');
  figures.sweptBlobs += swept.orphanBlobs.length;
  figures.sweptUploads += swept.abandonedUploads.length;
  const live = new Set(
    (
      await db
        .selectFrom('images')
        .select('blob_key')
        .where('status', '!=', 'deleted')
        .where('blob_key', 'is not', null)
        .execute()
    ).map((r) => r.blob_key as string),
  );
  const stored: string[] = [];
  for await (const blob of opened.blobs.list()) stored.push(blob.key);
  const pending: string[] = [];
  for await (const upload of opened.blobs.listPending()) pending.push(upload.key);
  check(
    stored.filter((k) => !live.has(k)).length === 0,
    `orphaned blobs: ${stored.filter((k) => !live.has(k)).join(' ')}`,
  );
  check(pending.length === 0, `pending uploads left: ${pending.join(' ')}`);
  check(
    [...live].every((k) => stored.includes(k)),
    'a live image refers to a blob the store lacks',
  );

  // 5. Counts agree: the share counts shown beside images are the member rows.
  const ids = perImage.map((r) => r.image_id);
  const counts = await new ShareStatsRepository(db).shareCounts(ids);
  check(
    perImage.every((r) => counts.get(r.image_id) === Number(r.n)),
    'share counts differ from member rows',
  );

  // 6. Nothing acknowledged is lost; nothing cut is half-applied.
  for (const [key, { values }] of ledger.allowed()) {
    const [kind, id, member] = key.split(':') as [string, string, string | undefined];
    let actual: string;
    // "initial": the key's state when the round began (no acknowledged request of this round touched it).
    if (kind === 'image') {
      // Creates are recorded only once answered, so an unanswered image key is a delete of an older image.
      const row = await db.selectFrom('images').select('status').where('id', '=', id).executeTakeFirst();
      // In the recycle bin (pending_delete) is deleted for every API, as much as purged.
      actual = !row ? 'absent' : GONE.includes(row.status) ? 'gone' : 'live';
      if (values.has('initial')) values.add('live');
    } else if (kind === 'data') {
      const row = await db
        .selectFrom('images')
        .select(['status', 'checksum'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row || GONE.includes(row.status)) continue; // a delete is checked on its own key
      actual = row.status === 'active' ? (row.checksum as string) : 'initial';
    } else if (kind === 'member') {
      const row = await db
        .selectFrom('image_members')
        .innerJoin('images', 'images.id', 'image_members.image_id')
        .select(['image_members.member_id', 'images.status'])
        .where('image_members.image_id', '=', id)
        .where('image_members.member_id', '=', member as string)
        .executeTakeFirst();
      // A binned image's member rows stay for a restore, but its shares grant nothing: the share is gone.
      actual = row && !GONE.includes(row.status) ? 'yes' : 'no';
      // Only cut requests touched it this round: its state before them is not in this round's ledger.
      if (values.has('initial')) values.add(actual);
    } else {
      const row = await db.selectFrom('instances').select('id').where('id', '=', id).executeTakeFirst();
      actual = row ? 'yes' : 'initial';
    }
    check(values.has(actual), `${key} is ${actual}, the client was told ${[...values].join(' or ')}`);
  }
  return checks;
}

forEachDatabase((target) => {
  describe(
    `crash safety: ${KILLS} SIGKILLs on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      it('keeps every invariant and loses nothing acknowledged', { timeout: 15 * 60_000 }, async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-crash-'));
        const schema = target.dialect === 'postgres' ? freshSchemaName() : undefined;
        const dbArgs = schema
          ? ['--database-url', process.env.TEST_DATABASE_URL!, '--database-schema', schema]
          : [];
        const env = {
          IMAGESHARE_SHARING__MAX_ACCOUNTS_PER_IMAGE: String(SHARE_LIMIT),
          IMAGESHARE_IMAGES__UPLOAD_STALE_SECONDS: '1',
          IMAGESHARE_BLOB__SWEEP_INTERVAL_SECONDS: '0',
          IMAGESHARE_LOGIN__MAX_FAILURES_PER_ADDRESS: '10000',
          IMAGESHARE_LOG__LEVEL: 'warn',
        };
        const args = ['--data-dir', dataDir, '--profile', 'openstack', ...dbArgs];
        const config = loadConfig({
          env: {},
          file: '',
          profile: 'openstack',
          overrides: {
            dataDir,
            'sharing.maxAccountsPerImage': String(SHARE_LIMIT),
            'images.uploadStaleSeconds': '1',
            'blob.sweepIntervalSeconds': '0',
            ...(schema ? { 'database.url': process.env.TEST_DATABASE_URL!, 'database.schema': schema } : {}),
          },
        });
        // The checker's own view of the database and the store (as `imageshare images verify` and `blobs
        // sweep` open them), used between rounds, while no workload runs.
        const opened = await openServices(config);
        const figures: Figures = {
          kills: 0,
          acked: 0,
          cut: 0,
          uploadsCut: 0,
          invariantChecks: 0,
          pausedKills: 0,
          sweptBlobs: 0,
          sweptUploads: 0,
          ops: {},
        };
        let server: ServerProcess | undefined;
        try {
          const passwords = new Map<string, string>();
          const make = async (name: string) => {
            const password = randomBytes(12).toString('base64url');
            const created = await opened.services.accounts.create({ name, password, isAdmin: false });
            passwords.set(created.account.id, password);
            return created.account.id;
          };
          const ownerIds: string[] = [];
          for (let i = 0; i < OWNERS; i++) ownerIds.push(await make(`crash-owner-${i}`));
          const receivers: string[] = [];
          for (let i = 0; i < RECEIVERS; i++) receivers.push(await make(`crash-receiver-${i}`));
          const keys = new Map<string, Key>();
          for (const id of ownerIds) keys.set(id, await opened.services.apiKeys.create(id));

          server = await spawnServer(args, env);
          const owners: Owner[] = await Promise.all(
            ownerIds.map(async (id) => ({
              id,
              token: await issueToken(server!.url, { id, password: passwords.get(id)! }),
              key: keys.get(id)!,
            })),
          );
          let pausedAt: string | null = null;
          for (let round = 0; round < KILLS; round++) {
            const ledger = new Ledger();
            const stop = { set: false };
            const workers = owners.map((owner) =>
              worker(server!.url, owner, receivers, ledger, figures, stop),
            );
            if (pausedAt) {
              // Killed where the server stopped on purpose (or after 4 s if the workload never got there).
              for (let n = 0; n < 80 && !server.stderr.includes(`paused at ${pausedAt}`); n++)
                await sleep(50);
              if (server.stderr.includes(`paused at ${pausedAt}`)) figures.pausedKills += 1;
            } else {
              await sleep(randomInt(200, 1200));
            }
            await server.stop('SIGKILL');
            stop.set = true;
            await Promise.all(workers);
            figures.kills += 1;
            figures.acked += ledger.stats.acked;
            figures.cut += ledger.stats.cut;
            // The checks run while the next server starts (a start changes no image, member or blob that the
            // checks look at; its blob store only clears its own temporary files, as the sweep would): the
            // startup, not the checks, is what a round costs.
            // Every fourth start stops at a named point of an upload or a delete (IMAGESHARE_TEST_PAUSE_AT):
            // the narrow windows a random kill rarely hits.
            const nextPause = round % 4 === 2 ? PAUSE_POINTS[((round - 2) / 4) % PAUSE_POINTS.length]! : null;
            const [next, checks] = await Promise.allSettled([
              spawnServer(args, nextPause ? { ...env, IMAGESHARE_TEST_PAUSE_AT: nextPause } : env),
              checkInvariants(opened, ledger, figures, `kill ${round + 1}`),
            ]);
            if (next.status === 'fulfilled') server = next.value; // stopped in `finally` whatever happens
            pausedAt = nextPause;
            if (checks.status === 'rejected') throw checks.reason;
            if (next.status === 'rejected') throw next.reason;
            figures.invariantChecks += checks.value;
          }
          // The server came back after the last kill and serves what survived.
          const list = await httpRequest(server.url, 'GET', '/v2/images', { token: owners[0]!.token });
          assert.equal(list.status, 200);
          assert.equal(await server.stop('SIGTERM'), 0);

          // The workload was not vacuous: uploads were cut mid-way and every kind of operation happened.
          console.log(`crash figures (${target.dialect}): ${JSON.stringify(figures)}`);
          assert.equal(figures.kills, KILLS);
          assert.ok(figures.uploadsCut > 0, 'no kill landed in an upload');
          assert.ok(figures.pausedKills > 0, 'no kill happened at a named point');
          for (const op of ['create', 'upload', 'share', 'cancel', 'launch', 'delete']) {
            assert.ok((figures.ops[op] ?? 0) > 0, `the workload never did "${op}"`);
          }
        } finally {
          await server?.stop('SIGKILL');
          await opened.db.close();
          await opened.blobs.close();
          rmSync(dataDir, { recursive: true, force: true });
          if (schema) {
            const pg = openDatabase({ url: process.env.TEST_DATABASE_URL!, poolSize: 1 });
            await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(pg.kysely);
            await pg.close();
          }
        }
      });
    },
  );
});
