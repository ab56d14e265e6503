// Notifications (issue 12) through the OpenStack extension, on SQLite and PostgreSQL, over real HTTP:
// - every kind of event reaches the inboxes of the accounts it concerns, and no other (share, cancel,
//   leave, launch by a receiver, delete), paginated by marker, with read marks;
// - webhooks: registration with its checks (SSRF, limit, secret shown once), delivery signed to a receiver
//   server that verifies it, retries with back-off visible in the API (moved by a controllable clock), give
//   up after maxAttempts; the receiver detects a bad secret and a replayed delivery;
// - "expiring soon": sent once per end time, however many scans run at once (two service containers over
//   one database, standing in for two nodes), and again for a new end time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachDatabase } from '../helpers/databases.js';
import { ManualClock } from '../helpers/clock.js';
import { body, createImage, uploadData, type Json } from '../helpers/glance.js';
import { startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, TOLERANCE_SECONDS } from '../helpers/webhook-receiver.js';
import { createServices } from '../../src/services/container.js';
import { postWebhook } from '../../src/services/webhook-transport.js';

const HOUR = 3600_000;

interface Who {
  account: TestAccount;
  token: string;
}

forEachDatabase((target) => {
  describe(`notifications (issue 12) on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let owner: Who;
    let bob: Who;
    let carol: Who;
    let stranger: Who;
    const clock = new ManualClock('2030-03-01T08:00:00.000Z');

    const who = async (): Promise<Who> => {
      const account = await t.createAccount();
      return { account, token: await t.token(account) };
    };
    const inbox = async (w: Who, query = '') => {
      const res = await t.request('GET', `/v2/inbox${query}`, { token: w.token });
      assert.equal(res.status, 200, res.text);
      return body(res) as { events: Json[]; unread_count: number; next?: string };
    };
    const sharedImage = async (name: string) => {
      const image = await createImage(t, owner.token, { name, visibility: 'shared' });
      return image.id;
    };
    const share = async (imageId: string, member: Who, extra: Json = {}) => {
      const res = await t.request('POST', `/v2/images/${imageId}/members`, {
        token: owner.token,
        body: { member: member.account.id, ...extra },
      });
      assert.equal(res.status, 200, res.text);
    };

    before(async () => {
      t = await startTestServer({
        target,
        clock,
        profile: 'openstack', // deleting a shared image cancels its shares (so a deletion tells receivers)
        overrides: {
          'notifications.webhooks.allowPrivateTargets': 'true',
          'notifications.webhooks.pollIntervalMs': '0', // the test runs the dispatcher itself
          'notifications.scanIntervalSeconds': '0', // and the expiring scan
          'notifications.webhooks.maxAttempts': '3',
          'notifications.webhooks.retryBaseSeconds': '10',
          'notifications.webhooks.maxPerAccount': '2',
          'notifications.webhooks.timeoutMs': '2000',
          'notifications.expiringSoonSeconds': String(24 * 3600),
        },
      });
      owner = await who();
      bob = await who();
      carol = await who();
      stranger = await who();
    });
    after(async () => {
      await t?.close();
    });

    it('each event reaches the inboxes it concerns: share, cancel, leave, launch, delete', async () => {
      const img = await sharedImage('inbox-image');
      await share(img, bob);
      clock.advance(1); // entries of one instant are ordered by event ID (random); keep this order known
      await share(img, carol);
      let bobInbox = await inbox(bob);
      assert.equal(bobInbox.events.length, 1);
      const shared = bobInbox.events[0] as Json;
      assert.equal(shared.type, 'share.created');
      assert.match(shared.id as string, /^evt-[0-9a-f]{32}$/);
      assert.equal(shared.at, clock.later(-1), 'the time comes from the injected clock');
      assert.deepEqual(shared.image, {
        id: img,
        name: 'inbox-image',
        region: 'ap-guangzhou',
        owner_id: owner.account.id,
      });
      assert.equal(shared.actor_id, owner.account.id);
      assert.equal(shared.target_account_id, bob.account.id);
      assert.equal(shared.read, false);
      assert.equal(bobInbox.unread_count, 1);
      // The owner sees both shares it made, already read (it did them).
      const ownerInbox = await inbox(owner);
      assert.deepEqual(
        ownerInbox.events.map((e) => [e.type, e.target_account_id, e.read]),
        [
          ['share.created', carol.account.id, true],
          ['share.created', bob.account.id, true],
        ],
      );
      assert.equal(ownerInbox.unread_count, 0);

      // Bob launches an instance (the image needs data): the owner hears of it, bob does not.
      clock.advance(1000);
      assert.equal((await uploadData(t, owner.token, img, Buffer.from('disk'))).status, 204);
      const ctx = {
        caller: { accountId: bob.account.id, isAdmin: false },
        region: 'ap-guangzhou',
        surface: 'openstack' as const,
      };
      await t.request('PUT', `/v2/images/${img}/members/${bob.account.id}`, {
        token: bob.token,
        body: { status: 'accepted' },
      });
      const [instance] = await t.server.services.instances.launch(ctx, img);
      const launched = (await inbox(owner)).events[0] as Json;
      assert.equal(launched.type, 'image.launched');
      assert.equal(launched.actor_id, bob.account.id);
      assert.equal(launched.read, false);
      assert.deepEqual(launched.details, { instanceIds: instance?.id, count: '1' });
      assert.equal((await inbox(bob)).events.length, 1, 'the launcher is not told of its own launch');

      // Carol leaves; the owner cancels bob.
      clock.advance(1000);
      assert.equal(
        (await t.request('DELETE', `/v2/images/${img}/members/${bob.account.id}`, { token: owner.token }))
          .status,
        204,
      );
      const cancelled = (await inbox(bob)).events[0] as Json;
      assert.equal(cancelled.type, 'share.cancelled');
      assert.equal(cancelled.actor_id, owner.account.id);
      clock.advance(1000);
      await t.server.services.shares.leave(
        { ...ctx, caller: { accountId: carol.account.id, isAdmin: false } },
        img,
      );
      const left = (await inbox(owner)).events[0] as Json;
      assert.deepEqual(
        [left.type, left.actor_id, left.details],
        ['share.cancelled', carol.account.id, { reason: 'left' }],
      );

      // A second image shared with bob, then deleted: bob is told once, by image.deleted.
      const img2 = await sharedImage('to-delete');
      await share(img2, bob);
      clock.advance(1000);
      assert.equal((await t.request('DELETE', `/v2/images/${img2}`, { token: owner.token })).status, 204);
      bobInbox = await inbox(bob);
      assert.deepEqual(
        bobInbox.events.slice(0, 2).map((e) => [e.type, (e.image as Json).id]),
        [
          ['image.deleted', img2],
          ['share.created', img2],
        ],
      );
      assert.equal((await inbox(stranger)).events.length, 0, 'nothing about other accounts');
    });

    it("a share with a group tells the group's accounts; a deprecation tells every receiver", async () => {
      const made = await t.request('POST', '/v2/groups', {
        token: owner.token,
        body: { name: 'inbox group' },
      });
      assert.equal(made.status, 201, made.text);
      const groupId = body(made).id as string;
      const joined = await t.request('POST', `/v2/groups/${groupId}/members`, {
        token: owner.token,
        body: { members: [bob.account.id, carol.account.id] },
      });
      assert.equal(joined.status, 200, joined.text);
      const img = await sharedImage('group-shared');
      clock.advance(1000);
      const shared = await t.request('POST', `/v2/images/${img}/members`, {
        token: owner.token,
        body: { member: groupId },
      });
      assert.equal(shared.status, 200, shared.text);
      for (const member of [bob, carol]) {
        const top = (await inbox(member)).events[0] as Json;
        assert.deepEqual([top.type, (top.image as Json).id], ['share.created', img]);
        assert.equal(top.details && (top.details as Json).group, groupId);
      }
      assert.equal((await inbox(stranger)).events.length, 0, 'nothing for an account outside the group');

      clock.advance(1000);
      const deprecated = await t.request('POST', `/v2/images/${img}/actions/deprecate`, {
        token: owner.token,
        body: {},
      });
      assert.equal(deprecated.status, 204, deprecated.text);
      for (const member of [bob, carol]) {
        const top = (await inbox(member)).events[0] as Json;
        assert.deepEqual([top.type, (top.image as Json).id, top.read], ['image.deprecated', img, false]);
      }
      assert.equal((await inbox(stranger)).events.length, 0);
    });

    it('the inbox pages by marker, marks read and unread, and shows only its own events', async () => {
      const reader = await who();
      const img = await sharedImage('paging');
      await share(img, reader);
      for (let i = 0; i < 11; i++) {
        clock.advance(10);
        await t.request('DELETE', `/v2/images/${img}/members/${reader.account.id}`, { token: owner.token });
        await share(img, reader);
      }
      // 1 + 11 x (cancel + share) = 23 events
      const seen: string[] = [];
      let query = '?limit=5';
      let pages = 0;
      for (;;) {
        const page = await inbox(reader, query);
        pages += 1;
        assert.ok(page.events.length <= 5);
        seen.push(...page.events.map((e) => e.id as string));
        if (!page.next) break;
        assert.match(page.next, /^\/v2\/inbox\?marker=evt-[0-9a-f]{32}&limit=5$/);
        query = page.next.slice('/v2/inbox'.length);
      }
      assert.equal(seen.length, 23);
      assert.equal(new Set(seen).size, 23, 'no entry twice across pages');
      assert.equal(pages, 5);
      const all = (await inbox(reader, '?limit=100')).events;
      assert.deepEqual(
        all.map((e) => e.id),
        seen,
        'pages follow the one newest-first order',
      );
      const ats = all.map((e) => e.at as string);
      assert.deepEqual([...ats].sort().reverse(), ats);

      const first = seen[0] as string;
      // Another account cannot read or mark it: "not found", as for an event that does not exist.
      for (const path of [`/v2/inbox/${first}`, '/v2/inbox/evt-00000000000000000000000000000000']) {
        const res = await t.request('PUT', path, { token: stranger.token, body: { read: true } });
        assert.equal(res.status, 404, res.text);
        assert.equal((await t.request('GET', path, { token: stranger.token })).status, 404);
      }
      const marked = await t.request('PUT', `/v2/inbox/${first}`, {
        token: reader.token,
        body: { read: true },
      });
      assert.equal(marked.status, 200, marked.text);
      assert.equal(body(marked).read, true);
      assert.equal((await inbox(reader)).unread_count, 22);
      assert.equal((await inbox(reader, '?unread=true&limit=100')).events.length, 22);
      const unmarked = await t.request('PUT', `/v2/inbox/${first}`, {
        token: reader.token,
        body: { read: false },
      });
      assert.equal(body(unmarked).read, false);
      const readAll = await t.request('POST', '/v2/inbox/read-all', { token: reader.token });
      assert.deepEqual(body(readAll), { marked: 23 });
      assert.equal((await inbox(reader)).unread_count, 0);

      // Bounded and validated input.
      for (const q of [
        '?limit=0',
        '?limit=101',
        '?limit=x',
        '?marker=nope',
        '?limit=1&limit=2',
        '?unread=maybe',
        '?foo=1',
      ]) {
        const res = await t.request('GET', `/v2/inbox${q}`, { token: reader.token });
        assert.equal(res.status, 400, `${q}: ${res.text}`);
      }
      assert.equal((await t.request('GET', '/v2/inbox')).status, 401, 'authenticated only');
      const badBody = await t.request('PUT', `/v2/inbox/${first}`, {
        token: reader.token,
        body: { read: 'yes' },
      });
      assert.equal(badBody.status, 400);
    });

    it('webhooks: registered with a one-time secret, listed without it, limited, deleted; owner only', async () => {
      const acct = await who();
      const created = await t.request('POST', '/v2/webhooks', {
        token: acct.token,
        body: { url: 'http://127.0.0.1:9/hook', description: 'ops pager' },
      });
      assert.equal(created.status, 201, created.text);
      const hook = body(created);
      assert.match(hook.secret as string, /^whsec_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      const listed = body(await t.request('GET', '/v2/webhooks', { token: acct.token })).webhooks as Json[];
      assert.equal(listed.length, 1);
      assert.equal((listed[0] as Json).secret, undefined, 'the secret is shown once, at creation');
      assert.ok(!JSON.stringify(listed).includes(hook.secret as string));
      // The secret is stored sealed, never as given.
      const stored = await t.server.db.kysely
        .selectFrom('webhooks')
        .select('secret_sealed')
        .where('id', '=', hook.id as string)
        .executeTakeFirstOrThrow();
      assert.ok(!stored.secret_sealed.includes(hook.secret as string));
      assert.match(stored.secret_sealed, /^v1:/);

      assert.equal(
        (
          await t.request('POST', '/v2/webhooks', {
            token: acct.token,
            body: { url: 'https://example.com/b' },
          })
        ).status,
        201,
      );
      const third = await t.request('POST', '/v2/webhooks', {
        token: acct.token,
        body: { url: 'https://example.com/c' },
      });
      assert.equal(third.status, 413, 'at most maxPerAccount (2) webhooks');

      for (const bad of [
        { url: 'ftp://example.com/' },
        { url: 'https://u:p@example.com/' },
        { url: 'x' },
        {},
        { url: 'https://example.com/', extra: 1 },
      ]) {
        const res = await t.request('POST', '/v2/webhooks', { token: stranger.token, body: bad });
        assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.text}`);
      }
      // SSRF: with the operator setting off (the service reads the live setting), private targets are refused.
      t.config.notifications.webhooks.allowPrivateTargets = false;
      try {
        for (const url of [
          'http://127.0.0.1:9/hook',
          'http://169.254.169.254/latest/meta-data/',
          'http://[::1]/',
          'http://localhost/',
        ]) {
          const res = await t.request('POST', '/v2/webhooks', { token: stranger.token, body: { url } });
          assert.equal(res.status, 400, `${url}: ${res.text}`);
          assert.match(res.text, /webhook URL/);
        }
      } finally {
        t.config.notifications.webhooks.allowPrivateTargets = true;
      }
      // Another account's webhook is not found, to read, list, see deliveries of or delete.
      for (const [method, path] of [
        ['GET', `/v2/webhooks/${String(hook.id)}`],
        ['GET', `/v2/webhooks/${String(hook.id)}/deliveries`],
        ['DELETE', `/v2/webhooks/${String(hook.id)}`],
      ] as const) {
        assert.equal(
          (await t.request(method, path, { token: stranger.token })).status,
          404,
          `${method} ${path}`,
        );
      }
      assert.equal(
        (body(await t.request('GET', '/v2/webhooks', { token: stranger.token })).webhooks as Json[]).length,
        0,
      );
      assert.equal(
        (await t.request('DELETE', `/v2/webhooks/${String(hook.id)}`, { token: acct.token })).status,
        204,
      );
      assert.equal(
        (await t.request('GET', `/v2/webhooks/${String(hook.id)}`, { token: acct.token })).status,
        404,
      );
    });

    it('deliveries are signed; failures retry with back-off, then give up, all visible in the API', async () => {
      const receiver = await startWebhookReceiver();
      try {
        const acct = await who();
        const hook = body(
          await t.request('POST', '/v2/webhooks', { token: acct.token, body: { url: receiver.url } }),
        );
        receiver.secret = hook.secret as string;
        const img = await sharedImage('hooked');
        // The receiver fails every delivery at first.
        receiver.answer = () => 503;
        await share(img, acct);
        let report = await t.server.services.notifications.dispatchOnce();
        assert.deepEqual(report, { claimed: 1, delivered: 0, failed: 1, gaveUp: 0 });
        const deliveries = async () =>
          body(await t.request('GET', `/v2/webhooks/${String(hook.id)}/deliveries`, { token: acct.token }))
            .deliveries as Json[];
        let [d] = await deliveries();
        assert.equal(d?.state, 'pending');
        assert.equal(d?.attempts, 1);
        assert.equal(d?.last_status, 503);
        assert.equal(d?.next_attempt_at, clock.later(10_000), 'first retry after retryBaseSeconds');
        // Not due yet: nothing is sent.
        assert.equal((await t.server.services.notifications.dispatchOnce()).claimed, 0);
        clock.advance(10_000);
        report = await t.server.services.notifications.dispatchOnce();
        assert.equal(report.failed, 1);
        [d] = await deliveries();
        assert.equal(d?.attempts, 2);
        assert.equal(d?.next_attempt_at, clock.later(20_000), 'the delay doubles');
        clock.advance(20_000);
        report = await t.server.services.notifications.dispatchOnce();
        assert.equal(report.gaveUp, 1, 'given up after maxAttempts (3)');
        [d] = await deliveries();
        assert.equal(d?.state, 'failed');
        assert.equal(d?.attempts, 3);
        assert.equal(d?.next_attempt_at, null);
        assert.equal(receiver.received.length, 3);
        assert.deepEqual(
          receiver.received.map((r) => r.attempt),
          [1, 2, 3],
        );
        assert.ok(
          receiver.received.every((r) => r.verdict === 'ok'),
          'each attempt correctly signed',
        );
        assert.equal(new Set(receiver.received.map((r) => r.eventId)).size, 1, 'one event ID across retries');

        // Now the receiver answers: the next event is delivered at once, and its body is the inbox's entry.
        receiver.answer = () => 204;
        clock.advance(1000);
        assert.equal(
          (await t.request('DELETE', `/v2/images/${img}/members/${acct.account.id}`, { token: owner.token }))
            .status,
          204,
        );
        report = await t.server.services.notifications.dispatchOnce();
        assert.equal(report.delivered, 1);
        const got = receiver.received.at(-1);
        assert.equal(got?.type, 'share.cancelled');
        const entry = (await inbox(acct)).events[0] as Json;
        const { read: _read, read_at: _readAt, ...event } = entry;
        assert.deepEqual(got?.body, event, 'the delivery carries the event as the inbox shows it');
        [d] = await deliveries();
        assert.deepEqual([d?.state, d?.attempts, d?.last_status], ['delivered', 1, 204]);
        assert.equal((await t.server.services.notifications.dispatchOnce()).claimed, 0, 'delivered once');
      } finally {
        await receiver.close();
      }
    });

    it('the receiver detects a bad secret and a replayed delivery (seen event ID, old timestamp)', async () => {
      const receiver = await startWebhookReceiver();
      try {
        const acct = await who();
        const hook = body(
          await t.request('POST', '/v2/webhooks', { token: acct.token, body: { url: receiver.url } }),
        );
        const img = await sharedImage('replayed');
        // A receiver holding the wrong secret refuses the delivery (and the sender retries it).
        receiver.secret = 'whsec_not-the-right-one';
        await share(img, acct);
        await t.server.services.notifications.dispatchOnce();
        assert.deepEqual(
          receiver.received.map((r) => r.verdict),
          ['bad-signature'],
        );
        // With the right secret, the retry is accepted.
        receiver.secret = hook.secret as string;
        clock.advance(10_000);
        await t.server.services.notifications.dispatchOnce();
        assert.equal(receiver.received.at(-1)?.verdict, 'ok');
        assert.equal(receiver.accepted.size, 1);

        // Replay the accepted delivery byte for byte: the event ID was seen.
        const captured = receiver.raw.at(-1);
        assert.ok(captured);
        const replay = (raw: { headers: Record<string, string>; body: string }) =>
          fetch(receiver.url, {
            method: 'POST',
            headers: Object.fromEntries(
              Object.entries(raw.headers).filter(
                ([k]) => k.startsWith('x-imageshare-') || k === 'content-type',
              ),
            ),
            body: raw.body,
          });
        await replay(captured);
        assert.equal(receiver.received.at(-1)?.verdict, 'duplicate');
        // Replayed later, past the tolerance: stale, whatever the receiver remembers.
        receiver.accepted.clear();
        const realNow = receiver.nowSeconds;
        receiver.nowSeconds = () => realNow() + TOLERANCE_SECONDS + 1;
        await replay(captured);
        assert.equal(receiver.received.at(-1)?.verdict, 'stale');
        receiver.nowSeconds = realNow;
        // A forged body with the captured signature, or a moved timestamp, does not verify.
        await replay({ ...captured, body: captured.body.replace('share.created', 'image.deleted') });
        assert.equal(receiver.received.at(-1)?.verdict, 'bad-signature');
        await replay({
          headers: {
            ...captured.headers,
            'x-imageshare-timestamp': String(Number(captured.headers['x-imageshare-timestamp']) + 1),
          },
          body: captured.body,
        });
        assert.equal(receiver.received.at(-1)?.verdict, 'bad-signature');
      } finally {
        await receiver.close();
      }
    });

    it('two nodes dispatching at once claim disjoint deliveries: each is sent once', async () => {
      const receiver = await startWebhookReceiver();
      try {
        const acct = await who();
        const hook = body(
          await t.request('POST', '/v2/webhooks', { token: acct.token, body: { url: receiver.url } }),
        );
        receiver.secret = hook.secret as string;
        const img = (await createImage(t, acct.token, { name: 'fan-out', visibility: 'shared' })).id;
        const members = await Promise.all(Array.from({ length: 30 }, () => t.createAccount()));
        const ctx = {
          caller: { accountId: acct.account.id, isAdmin: false },
          region: 'ap-guangzhou',
          surface: 'openstack' as const,
        };
        await t.server.services.shares.shareWith(
          ctx,
          img,
          members.map((m) => m.id),
        ); // 30 share.created
        const node2 = createServices({
          config: t.config,
          db: t.server.db,
          blobs: {} as never,
          clock,
        }).notifications;
        const nodes = [t.server.services.notifications, node2];
        let rounds = 0;
        for (;;) {
          // Each node runs two dispatch loops: four claims race for the same due rows.
          const reports = await Promise.all([...nodes, ...nodes].map((n) => n.dispatchOnce()));
          rounds += 1;
          if (reports.every((r) => r.claimed === 0)) break;
        }
        assert.equal(receiver.accepted.size, 30);
        assert.equal(receiver.received.length, 30, 'no delivery sent twice');
        assert.ok(rounds >= 2);
      } finally {
        await receiver.close();
      }
    });

    it('expiring soon: once per end time, with two nodes scanning at once, and again for a new end', async () => {
      const receiver = await startWebhookReceiver();
      try {
        const acct = await who();
        const hook = body(
          await t.request('POST', '/v2/webhooks', { token: acct.token, body: { url: receiver.url } }),
        );
        receiver.secret = hook.secret as string;
        const img = await sharedImage('expiring');
        const end = clock.later(48 * HOUR);
        await share(img, acct, { expires_at: end });
        const notifications = t.server.services.notifications;
        // A second node: its own services over the same database.
        const node2 = createServices({
          config: t.config,
          db: t.server.db,
          blobs: {} as never,
          clock,
        }).notifications;
        const expiring = async () =>
          (await inbox(acct, '?limit=100')).events.filter((e) => e.type === 'share.expiring');
        assert.equal(await notifications.scanExpiring(), 0, 'two days before: not yet');
        clock.advance(25 * HOUR); // 23 hours before the end
        const counts = await Promise.all([
          notifications.scanExpiring(),
          node2.scanExpiring(),
          notifications.scanExpiring(),
          node2.scanExpiring(),
        ]);
        assert.equal(
          counts.reduce((a, b) => a + b, 0),
          1,
          `sent once in all: ${counts.join(',')}`,
        );
        assert.equal(await notifications.scanExpiring(), 0, 'a later scan (a restart) sends nothing');
        let events = await expiring();
        assert.equal(events.length, 1);
        assert.deepEqual([events[0]?.actor_id, (events[0]?.details as Json).expiresAt], ['system', end]);
        assert.equal(
          (await inbox(owner, '?limit=100')).events.filter(
            (e) => e.type === 'share.expiring' && (e.image as Json).id === img,
          ).length,
          1,
          'the owner is told too',
        );
        await Promise.all([notifications.dispatchOnce(), node2.dispatchOnce()]);
        await receiver.waitForAccepted(2); // share.created and share.expiring
        assert.equal(receiver.received.length, 2, 'each delivered once by the two dispatchers');

        // The owner moves the end: a new "expiring soon" for the new end time.
        const newEnd = clock.later(12 * HOUR);
        const res = await t.request('PUT', `/v2/images/${img}/members/${acct.account.id}`, {
          token: owner.token,
          body: { expires_at: newEnd },
        });
        assert.equal(res.status, 200, res.text);
        clock.advance(1000);
        assert.equal(await node2.scanExpiring(), 1);
        events = await expiring();
        assert.deepEqual(
          events.map((e) => (e.details as Json).expiresAt),
          [newEnd, end],
        );
        // Past the end: nothing more.
        clock.advance(13 * HOUR);
        assert.equal(await notifications.scanExpiring(), 0);
      } finally {
        await receiver.close();
      }
    });

    it('old entries and finished deliveries are purged after retentionDays; a pending delivery keeps its event', async () => {
      const receiver = await startWebhookReceiver();
      try {
        const acct = await who();
        const hook = body(
          await t.request('POST', '/v2/webhooks', { token: acct.token, body: { url: receiver.url } }),
        );
        receiver.secret = hook.secret as string;
        receiver.answer = () => 503; // the delivery stays pending (retrying)
        const img = await sharedImage('retained');
        await share(img, acct);
        await t.server.services.notifications.dispatchOnce();
        const [pending] = body(
          await t.request('GET', `/v2/webhooks/${String(hook.id)}/deliveries`, { token: acct.token }),
        ).deliveries as Json[];
        assert.equal(pending?.state, 'pending');
        const db = t.server.db.kysely;
        const count = async (table: 'notification_inbox' | 'notification_events' | 'webhook_deliveries') =>
          Number(
            (
              await db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        assert.ok((await count('webhook_deliveries')) > 1, 'finished deliveries from earlier tests');
        assert.equal(await t.server.services.notifications.purgeOld(), 0, 'nothing is 90 days old yet');
        clock.advance(91 * 24 * HOUR);
        assert.ok((await t.server.services.notifications.purgeOld()) > 0);
        assert.equal(await count('notification_inbox'), 0);
        assert.equal((await inbox(acct)).events.length, 0);
        // Left: the pending deliveries (this one, and one of an earlier test never dispatched) and their events.
        const left = await db.selectFrom('webhook_deliveries').select(['id', 'state', 'event_id']).execute();
        assert.ok(left.some((d) => d.id === pending?.id));
        assert.deepEqual([...new Set(left.map((d) => d.state))], ['pending']);
        const events = await db.selectFrom('notification_events').select('id').execute();
        assert.deepEqual(events.map((e) => e.id).sort(), [...new Set(left.map((d) => d.event_id))].sort());
      } finally {
        await receiver.close();
      }
    });
  });
});

describe('webhook targets are checked again at delivery (SSRF)', () => {
  it('a loopback address or a name resolving to one is refused unless private targets are allowed', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const port = new URL(receiver.url).port;
      for (const url of [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`]) {
        const blocked = await postWebhook(
          { url, body: '{}', headers: {} },
          { timeoutMs: 2000, allowPrivateTargets: false },
        );
        assert.equal(blocked.ok, false, url);
        assert.match(blocked.error ?? '', /^blocked/, url);
      }
      assert.equal(receiver.received.length, 0, 'nothing reached the receiver');
      const allowed = await postWebhook(
        { url: `http://localhost:${port}/hook`, body: '{}', headers: {} },
        { timeoutMs: 2000, allowPrivateTargets: true },
      );
      assert.equal(allowed.status, 401, 'reached (and refused as unsigned)');
    } finally {
      await receiver.close();
    }
  });
});
