// The image actions the seed flow does not pass through, each done in Chromium and checked in the service:
// Rename / edit description, Copy to region, Cancel sharing for all (owner); Reject and Leave a share
// (receiver); Terminate an instance; cancelling an upload in progress (no image left active, no data left
// behind). Every table and dialog fits 1280x800 without sideways scrolling.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { TestAccount } from '../helpers/server.js';
import { createActiveImage } from '../helpers/tencent.js';
import type { RequestContext } from '../../src/services/context.js';
import { assertAccessible, assertFitsWidth, describeConsole, type ConsoleBrowser } from './harness.js';

const REGION = 'ap-guangzhou';
const OTHER_REGION = 'ap-shanghai';

describeConsole('image actions', (suite) => {
  let owner: TestAccount;
  let receiver: TestAccount;
  let ownerUi: ConsoleBrowser;
  let receiverUi: ConsoleBrowser;
  const ctx = (account: TestAccount, region = REGION): RequestContext => ({
    caller: { accountId: account.id, isAdmin: false },
    region,
    surface: 'openstack',
  });
  const row = (page: Page, text: string) => page.getByRole('row').filter({ hasText: text });
  const unique = (prefix: string) => `${prefix}-${randomBytes(2).toString('hex')}`;
  const imagesNamed = (name: string) =>
    suite.service.db.kysely
      .selectFrom('images')
      .select(['id', 'status', 'region', 'description'])
      .where('name', '=', name)
      .execute();

  async function showImages(page: Page, tab: 'Custom images' | 'Shared images', region = REGION) {
    await page.goto(`/console/images?region=${region}&tab=${tab === 'Custom images' ? 'custom' : 'shared'}`);
    await page.getByRole('tab', { name: tab, selected: true }).waitFor();
  }

  before(async () => {
    owner = await suite.service.createAccount();
    receiver = await suite.service.createAccount();
    ownerUi = await suite.openAs(owner);
    receiverUi = await suite.openAs(receiver);
  });

  it('Rename / edit description: the new name and description are saved', async () => {
    const { page } = ownerUi;
    const name = unique('to-rename');
    const id = await createActiveImage(suite.service.services, ctx(owner), name);
    await showImages(page, 'Custom images');
    await row(page, name)
      .getByRole('button', { name: `Edit: ${name}` })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Rename or edit description' });
    const renamed = unique('renamed');
    await dialog.getByLabel('Name').fill(renamed);
    await dialog.getByLabel('Description').fill('Web server, nginx 1.26');
    await assertAccessible(page, 'edit dialog');
    await assertFitsWidth(page, 'edit dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Image updated.').waitFor();
    await row(page, renamed).waitFor();
    assert.equal(await row(page, name).count(), 0);
    const image = await suite.service.services.images.get(ctx(owner), id);
    assert.equal(image.name, renamed);
    assert.equal(image.description, 'Web server, nginx 1.26');
  });

  it('Copy to region: the copy appears in the other region under the chosen name', async () => {
    const { page } = ownerUi;
    const name = unique('to-copy');
    await createActiveImage(suite.service.services, ctx(owner), name);
    await showImages(page, 'Custom images');
    await row(page, name)
      .getByRole('button', { name: `Copy to region: ${name}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Copy “${name}” to another region` });
    await dialog.getByLabel('Target region').click();
    await page.getByRole('listitem').filter({ hasText: OTHER_REGION }).click();
    const copyName = `${name}-sh`;
    await dialog.getByLabel('Name').fill(copyName);
    await assertAccessible(page, 'copy dialog');
    await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('Copy started.').waitFor();
    await showImages(page, 'Custom images', OTHER_REGION);
    await row(page, copyName).getByText('Available').waitFor();
    const copies = await imagesNamed(copyName);
    assert.deepEqual(
      copies.map((c) => [c.region, c.status]),
      [[OTHER_REGION, 'active']],
    );
  });

  it('Cancel sharing for all: every account loses the image, after a confirmation', async () => {
    const { page } = ownerUi;
    const name = unique('share-all');
    const id = await createActiveImage(suite.service.services, ctx(owner), name);
    const third = await suite.service.createAccount();
    await suite.service.services.shares.shareWith(ctx(owner), id, [receiver.id, third.id]);
    await showImages(page, 'Custom images');
    await assertFitsWidth(page, 'custom images');
    await row(page, name)
      .getByRole('button', { name: `Sharing: ${name}` })
      .click();
    const panel = page.getByRole('dialog', { name: `Sharing of “${name}”` });
    await panel.getByRole('row').filter({ hasText: third.id }).waitFor();
    await assertFitsWidth(page, 'sharing panel');
    await panel.getByRole('button', { name: 'Cancel all sharing' }).click();
    const confirm = panel.getByRole('group', { name: 'Cancel all sharing' });
    await confirm.getByText('Stop sharing with all 2 account(s)?').waitFor();
    await confirm.getByRole('button', { name: 'Yes, cancel all' }).click();
    await page.getByText('All sharing cancelled.').waitFor();
    await panel.getByText('This image is not shared with anyone.').waitFor();
    assert.deepEqual(await suite.service.services.shares.listMembers(ctx(owner), id), []);
    assert.equal(await suite.service.services.images.isVisible(ctx(third), id), false);
  });

  it('Reject (receiver): the share shows as rejected and no instance can be created from it', async () => {
    const { page } = receiverUi;
    const name = unique('to-reject');
    const id = await createActiveImage(suite.service.services, ctx(owner), name);
    await suite.service.services.shares.shareWith(ctx(owner), id, [receiver.id]);
    await showImages(page, 'Shared images');
    const shared = row(page, name);
    await shared.getByText('Pending').waitFor();
    await assertFitsWidth(page, 'shared images');
    await shared.getByRole('button', { name: `Reject: ${name}` }).click();
    await page.getByText('Share rejected.').waitFor();
    await shared.getByText('Rejected').waitFor();
    assert.equal(await shared.getByRole('button', { name: `Create instance: ${name}` }).isDisabled(), true);
    // Changed its mind: Accept is still offered.
    await shared.getByRole('button', { name: `Accept: ${name}` }).waitFor();
    const member = await suite.service.services.shares.getMember(ctx(owner), id, receiver.id);
    assert.equal(member.status, 'rejected');
  });

  it('Leave (receiver): the share is gone for the receiver, the owner keeps the image', async () => {
    const { page } = receiverUi;
    const name = unique('to-leave');
    const id = await createActiveImage(suite.service.services, ctx(owner), name);
    await suite.service.services.shares.shareWith(ctx(owner), id, [receiver.id]);
    await showImages(page, 'Shared images');
    await row(page, name)
      .getByRole('button', { name: `Leave: ${name}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Leave the share of “${name}”` });
    await dialog.getByText(owner.id).waitFor();
    await assertAccessible(page, 'leave dialog');
    await dialog.getByRole('button', { name: 'Leave', exact: true }).click();
    await page.getByText('You left the share.').waitFor();
    await row(page, name).waitFor({ state: 'detached' });
    assert.equal(await suite.service.services.images.isVisible(ctx(receiver), id), false);
    assert.equal((await suite.service.services.images.get(ctx(owner), id)).status, 'active');
  });

  it('Terminate an instance: after a confirmation it shows as terminated', async () => {
    const { page } = receiverUi;
    const name = unique('for-instance');
    const id = await createActiveImage(suite.service.services, ctx(owner), name);
    await suite.service.services.shares.shareWith(ctx(owner), id, [receiver.id]);
    await suite.service.services.shares.setMemberStatus(ctx(receiver), id, receiver.id, 'accepted');
    const instanceName = unique('vm');
    const [instance] = await suite.service.services.instances.launch(ctx(receiver), id, {
      name: instanceName,
    });
    assert.ok(instance);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    const line = row(page, instanceName);
    await line.getByText('Running').waitFor();
    await assertFitsWidth(page, 'instances');
    await line.getByRole('button', { name: `Terminate: ${instanceName}` }).click();
    const dialog = page.getByRole('dialog', { name: `Terminate “${instanceName}”` });
    await dialog.getByText(instance.id).waitFor();
    await assertAccessible(page, 'terminate dialog');
    await dialog.getByRole('button', { name: 'Terminate', exact: true }).click();
    await page.getByText(`Instance ${instanceName} terminated.`).waitFor();
    await line.getByText('Terminated').waitFor();
    const listed = await suite.service.services.instances.list(ctx(receiver), { ids: [instance.id] });
    assert.equal(listed.instances[0]?.state, 'TERMINATED');
  });

  it('cancelling an upload in progress leaves no image active and no data behind', async () => {
    const { page, context } = ownerUi;
    const name = unique('cancelled-upload');
    const file = join(mkdtempSync(join(tmpdir(), 'imageshare-cancel-')), `${name}.raw`);
    writeFileSync(file, randomBytes(16 * 1024 * 1024));
    await showImages(page, 'Custom images');
    await page.getByRole('button', { name: 'Upload image' }).first().click();
    const dialog = page.getByRole('dialog', { name: /Upload an image/ });
    await dialog.getByLabel('Image file').setInputFiles(file);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 512 * 1024,
    });
    try {
      await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
      await page.waitForFunction(() => {
        const now = Number(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow'));
        return now > 2 && now < 90;
      });
      // Bytes are on their way to the service: the image exists and is being filled.
      assert.equal((await imagesNamed(name)).length, 1);
      await assertFitsWidth(page, 'upload dialog');
      await dialog.getByRole('button', { name: 'Cancel upload' }).click();
      // Back to the form, ready to try again, and nothing says it was uploaded.
      await dialog.getByRole('button', { name: 'Upload', exact: true }).waitFor();
      assert.equal(await dialog.getByText('uploaded and available').count(), 0);
    } finally {
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
    }
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await assertNoDataLeftBehind(name);
    assert.equal(await row(page, name).count(), 0, 'the half-made image is not listed');
  });

  /** Polls (the service sees the cut connection a moment later) until the upload left nothing behind. */
  async function assertNoDataLeftBehind(name: string): Promise<void> {
    const deadline = Date.now() + 20000;
    let state = '';
    for (;;) {
      const rows = await imagesNamed(name);
      const referenced = new Set(
        (
          await suite.service.db.kysely
            .selectFrom('images')
            .select('blob_key')
            .where('blob_key', 'is not', null)
            .where('status', '!=', 'deleted')
            .execute()
        ).map((r) => r.blob_key),
      );
      const orphans: string[] = [];
      for await (const blob of suite.service.blobs.list())
        if (!referenced.has(blob.key)) orphans.push(blob.key);
      const pending: string[] = [];
      for await (const upload of suite.service.blobs.listPending()) pending.push(upload.key);
      const statuses = rows.map((r) => r.status);
      state = JSON.stringify({ statuses, orphans, pending });
      if (!statuses.includes('active') && orphans.length === 0 && pending.length === 0) break;
      if (Date.now() > deadline) assert.fail(`the cancelled upload left something behind: ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // The console removed the image it had made for the data (no empty image stays in the list).
    assert.ok(
      (await imagesNamed(name)).every((r) => r.status === 'deleted'),
      `the half-made image is gone: ${state}`,
    );
  }
});
