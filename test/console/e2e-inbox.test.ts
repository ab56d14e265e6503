// Issue 12 in the browser: the header's bell counts the unread entries of the inbox; the Inbox page lists
// what happened (a share, its cancel) in words, marks entries read one by one or all at once, and filters
// unread ones; a webhook is added from the page (a bad URL is refused in words; the signing secret is shown
// once), a real receiver gets the next event signed with that very secret (delivered by the service's own
// dispatcher), and the webhook is deleted again.
import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestAccount } from '../helpers/server.js';
import { createActiveImage } from '../helpers/tencent.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import type { RequestContext } from '../../src/services/context.js';
import {
  assertAccessible,
  assertFitsWidth,
  describeConsole,
  rowWith,
  type ConsoleBrowser,
} from './harness.js';

const REGION = 'ap-guangzhou';

describeConsole(
  'inbox and webhooks',
  (suite) => {
    let owner: TestAccount;
    let receiver: TestAccount;
    let ui: ConsoleBrowser;
    let hookReceiver: WebhookReceiver;
    const ctx = (account: TestAccount): RequestContext => ({
      caller: { accountId: account.id, isAdmin: false },
      region: REGION,
      surface: 'console',
    });
    const shareNew = async (name: string) => {
      const id = await createActiveImage(suite.service.services, ctx(owner), name);
      await suite.service.services.shares.shareWith(ctx(owner), id, [receiver.id]);
      return id;
    };

    before(async () => {
      owner = await suite.service.createAccount();
      receiver = await suite.service.createAccount();
      hookReceiver = await startWebhookReceiver();
    });
    after(async () => {
      await ui?.context.close();
      await hookReceiver?.close();
    });

    it('the bell counts unread events; the inbox says what happened and marks entries read', async () => {
      const name = `inbox-${randomBytes(2).toString('hex')}`;
      const id = await shareNew(name);
      ui = await suite.openAs(receiver);
      const { page } = ui;
      const bell = page.getByRole('link', { name: 'Inbox, 1 unread' });
      await bell.waitFor();
      assert.equal(await page.getByTestId('inbox-badge').textContent(), '1');
      await suite.shot(page, 'inbox-badge');
      await bell.click();
      await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
      const row = rowWith(page, `${owner.id} shared ${name} with you.`);
      await row.getByText('Unread', { exact: true }).waitFor();
      await row.getByText(id).waitFor();
      await assertAccessible(page, 'inbox with an unread entry');
      await assertFitsWidth(page, 'inbox');
      await suite.shot(page, 'inbox-unread');

      await row.getByRole('button', { name: /^Mark read:/ }).click();
      await row.getByText('Read', { exact: true }).waitFor();
      // The bell's count follows (it is asked again after every change to the inbox).
      await page.getByRole('link', { name: 'Inbox', exact: true }).first().waitFor();
      assert.equal(await page.getByTestId('inbox-badge').count(), 0);
      await page.getByRole('tab', { name: 'Unread' }).click();
      await page.getByText('Nothing unread.').waitFor();

      // The owner cancels: a second event; "Mark all read" clears both tabs' unread.
      await suite.service.services.shares.removeMember(ctx(owner), id, receiver.id);
      await page.getByRole('button', { name: 'Refresh' }).click();
      const cancelled = rowWith(page, `${owner.id} cancelled the share of ${name} with you.`);
      await cancelled.waitFor();
      await page.getByRole('tab', { name: 'All' }).click();
      await rowWith(page, `${owner.id} shared ${name} with you.`).waitFor();
      await cancelled.waitFor();
      assert.equal(await page.getByRole('row').filter({ hasText: name }).count(), 2);
      await page.getByRole('button', { name: 'Mark all read' }).click();
      await page.getByText('1 marked read.').waitFor();
      await rowWith(page, `cancelled the share of ${name}`).getByText('Read', { exact: true }).waitFor();
      const inbox = await suite.service.services.notifications.inbox(ctx(receiver));
      assert.equal(inbox.unread, 0, 'the service holds the read marks');
      assert.deepEqual(
        inbox.entries.map((e) => e.event.type),
        ['share.cancelled', 'share.created'],
      );
    });

    it('a webhook added from the page receives the next event, signed with the secret shown once', async () => {
      const { page } = ui;
      const section = page.getByRole('region', { name: 'Webhooks' });
      await section.getByRole('button', { name: 'Add webhook' }).click();
      let dialog = page.getByRole('dialog', { name: 'Add a webhook' });
      await dialog.getByLabel('URL').fill('ftp://example.com/hook');
      await dialog.getByRole('button', { name: 'Add webhook' }).click();
      await dialog.getByText('This URL cannot be used').waitFor();
      await assertAccessible(page, 'webhook dialog with a refused URL');
      await suite.shot(page, 'webhook-bad-url');
      await dialog.getByLabel('URL').fill(hookReceiver.url);
      await dialog.getByLabel('Description (optional)').fill('release bot');
      await dialog.getByRole('button', { name: 'Add webhook' }).click();

      dialog = page.getByRole('dialog', { name: 'Webhook added' });
      await dialog.getByText('it is shown only this once').waitFor();
      const secret = (await dialog.locator('code.id').filter({ hasText: 'whsec_' }).textContent()) ?? '';
      assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      await assertAccessible(page, 'webhook secret shown once');
      await suite.shot(page, 'webhook-secret-once');
      await dialog.getByRole('button', { name: 'I have saved it' }).click();
      const hookRow = rowWith(section, hookReceiver.url);
      await hookRow.getByText('release bot').waitFor();
      assert.equal(await page.getByText(secret).count(), 0, 'the secret is not shown again');

      // The next event reaches the receiver, which verifies it with the secret from the dialog.
      hookReceiver.secret = secret;
      const name = `hooked-${randomBytes(2).toString('hex')}`;
      const id = await shareNew(name);
      await hookReceiver.waitForAccepted(1, 30_000);
      const [delivery] = [...hookReceiver.accepted.values()];
      assert.equal(delivery?.type, 'share.created');
      assert.equal((delivery?.body.image as { id: string }).id, id);
      assert.deepEqual(
        hookReceiver.received.map((r) => r.verdict),
        ['ok'],
      );

      await hookRow.getByRole('button', { name: `Delete: ${hookReceiver.url}` }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete the webhook?' });
      await confirm.getByRole('button', { name: 'Delete' }).click();
      await section.getByText('No webhooks.').waitFor();
      assert.deepEqual(await suite.service.services.notifications.listWebhooks(ctx(receiver)), []);
      assert.deepEqual(ui.outsideRequests, []);
    });
  },
  { env: { IMAGESHARE_NOTIFICATIONS__WEBHOOKS__ALLOW_PRIVATE_TARGETS: 'true' } },
);
