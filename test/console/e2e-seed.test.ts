// The seed's whole sharing flow in the browser, with two accounts: the receiver copies its ID from Account
// information; the owner uploads a file (progress bar, checksums), shares the image by that ID; the receiver
// sees it under Shared images, accepts it, creates an instance and finds no rename, delete or share; the owner
// sees the launch in the sharing panel, is told to cancel sharing before deleting, cancels, deletes; both see
// it all under History. Every page passes axe; screenshots at 1280x800.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { TestAccount } from '../helpers/server.js';
import {
  assertAccessible,
  assertFitsWidth,
  describeConsole,
  logIn,
  logInToImages,
  openConsole,
  type ConsoleBrowser,
} from './harness.js';

describeConsole("the seed's sharing flow", (suite) => {
  let owner: TestAccount;
  let receiver: TestAccount;
  let ownerUi: ConsoleBrowser;
  let receiverUi: ConsoleBrowser;
  const fileDir = mkdtempSync(join(tmpdir(), 'imageshare-upload-'));
  const imageName = `web-server-${randomBytes(2).toString('hex')}`;
  let receiverIdFromPage = '';

  before(async () => {
    owner = await suite.service.createAccount({ name: `owner-${randomBytes(2).toString('hex')}` });
    receiver = await suite.service.createAccount({ name: `receiver-${randomBytes(2).toString('hex')}` });
    ownerUi = await openConsole(suite.browser, suite.service);
    receiverUi = await openConsole(suite.browser, suite.service);
  });
  after(() => rmSync(fileDir, { recursive: true, force: true }));

  const shot = (page: Page, name: string) => suite.shot(page, name);
  const imageRow = (page: Page) => page.getByRole('row').filter({ hasText: imageName });

  it('the login page is accessible; the receiver logs in with its account ID', async () => {
    const { page } = receiverUi;
    await page.getByRole('heading', { name: 'Log in to the console' }).waitFor();
    await assertAccessible(page, 'login');
    await assertFitsWidth(page, 'login');
    await shot(page, 'login');
    await logInToImages(page, receiver.id, receiver.password);
  });

  it('the receiver finds its account ID on Account information (upper right) and copies it', async () => {
    const { page, context } = receiverUi;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.service.url });
    await page.getByRole('link', { name: receiver.name }).click();
    await page.getByRole('heading', { name: 'Account information', level: 1 }).waitFor();
    await page.getByText('Send this ID to whoever wants to share an image with you.').waitFor();
    await page.getByRole('button', { name: 'Copy account ID' }).click();
    await page.getByText('Copied to the clipboard').waitFor();
    receiverIdFromPage = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(receiverIdFromPage, receiver.id);
    await assertAccessible(page, 'account information');
    await assertFitsWidth(page, 'account information');
    await shot(page, 'account-information');
  });

  it('the owner logs in by name and sees an empty Custom images tab', async () => {
    const { page } = ownerUi;
    await logIn(page, owner.name, owner.password);
    await page.getByRole('tab', { name: 'Custom images', selected: true }).waitFor();
    await page.getByText('You have no custom images in this region yet.').waitFor();
    await assertAccessible(page, 'images (empty)');
    await assertFitsWidth(page, 'images (empty)');
  });

  it('the owner uploads a local file with a progress bar, speed and time left, then sees MD5 and SHA-512', async () => {
    const { page, context } = ownerUi;
    const bytes = randomBytes(8 * 1024 * 1024);
    const file = join(fileDir, `${imageName}.qcow2`);
    writeFileSync(file, bytes);
    await page.getByRole('button', { name: 'Upload image' }).first().click();
    const dialog = page.getByRole('dialog', { name: /Upload an image/ });
    await dialog.getByLabel('Image file').setInputFiles(file);
    assert.equal(await dialog.getByLabel('Name').inputValue(), imageName);
    // A slow link, so that the progress can be seen (the browser's own network emulation).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 512 * 1024,
    });
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    const bar = dialog.getByRole('progressbar', { name: 'Upload progress' });
    await bar.waitFor();
    await page.waitForFunction(() => {
      const el = document.querySelector('[role=progressbar]');
      const now = Number(el?.getAttribute('aria-valuenow'));
      return now > 5 && now < 95;
    });
    await dialog.getByText(/Speed: \d/).waitFor();
    await dialog.getByText(/Time left: \d+:\d\d/).waitFor();
    // The width check first: the accessibility scan takes seconds on a loaded machine, and both must
    // see the dialog while it still uploads (16 s for 8 MiB at 512 KiB/s), not its finished state.
    await assertFitsWidth(page, 'upload in progress');
    await assertAccessible(page, 'upload in progress');
    assert.ok(await bar.isVisible(), 'the checks above ran while the upload was still in progress');
    await shot(page, 'upload-progress');
    await dialog.getByText(`Image “${imageName}” uploaded and available.`).waitFor({ timeout: 30000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await dialog.getByText(createHash('md5').update(bytes).digest('hex')).waitFor();
    await dialog.getByText(createHash('sha512').update(bytes).digest('hex')).waitFor();
    await assertFitsWidth(page, 'upload done');
    await shot(page, 'upload-done');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await imageRow(page).getByText('Available').waitFor();
    await imageRow(page).getByText('Not shared').waitFor();
    await shot(page, 'custom-images');
  });

  it('the Share dialog checks IDs as they are typed, then shares with the receiver by its ID', async () => {
    const { page } = ownerUi;
    await imageRow(page)
      .getByRole('button', { name: `Share: ${imageName}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Share image “${imageName}”` });
    const box = dialog.getByRole('textbox', { name: 'Account IDs' });
    await box.fill(`${receiverIdFromPage}, 12ab\n${owner.id} ${receiverIdFromPage}`);
    const checked = dialog.getByRole('list', { name: 'Account IDs checked' });
    await checked.getByText('Ready to share').waitFor();
    await checked.getByText('An account ID has digits only').waitFor();
    await checked.getByText('This is your own account').waitFor();
    await checked.getByText('Listed twice').waitFor();
    await dialog.getByText('49 of 50 left').waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Share', exact: true }).isDisabled(), true);
    await assertAccessible(page, 'share dialog with problems');
    await assertFitsWidth(page, 'share dialog with problems');
    await shot(page, 'share-dialog-validation');
    await box.fill(receiverIdFromPage);
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    const results = dialog.getByRole('list', { name: 'Sharing results' });
    await results.getByText('Shared: the account sees the image under Shared images.').waitFor();
    await results.getByText(receiver.id).waitFor();
    await shot(page, 'share-dialog-result');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await imageRow(page).getByRole('button', { name: '1 account(s)' }).waitFor();
  });

  it('the receiver sees it under Images > Shared images with the owner ID, and no rename, delete or share', async () => {
    const { page } = receiverUi;
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByRole('tab', { name: 'Shared images' }).click();
    const row = imageRow(page);
    await row.getByText(owner.id).waitFor();
    await row.getByText('Pending').waitFor();
    for (const forbidden of ['Share', 'Edit', 'Delete', 'Copy to region', 'Sharing'])
      assert.equal(
        await row.getByRole('button', { name: `${forbidden}: ${imageName}` }).count(),
        0,
        forbidden,
      );
    await assertAccessible(page, 'shared images');
    await assertFitsWidth(page, 'shared images');
    await row.getByRole('button', { name: `Accept: ${imageName}` }).click();
    await row.getByText('Accepted').waitFor();
    await shot(page, 'shared-images');
  });

  it('the receiver creates an instance from the shared image', async () => {
    const { page } = receiverUi;
    await imageRow(page)
      .getByRole('button', { name: `Create instance: ${imageName}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Create an instance from “${imageName}”` });
    await dialog.getByLabel('Instance name').fill('from-shared');
    await assertAccessible(page, 'create instance dialog');
    await assertFitsWidth(page, 'create instance dialog');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByText('Instance from-shared created.').waitFor();
    await page.getByRole('link', { name: 'Instances' }).click();
    const row = page.getByRole('row').filter({ hasText: 'from-shared' });
    await row.getByText('Running').waitFor();
    await row.getByText(imageName).waitFor();
    await assertAccessible(page, 'instances');
    await assertFitsWidth(page, 'instances');
    await shot(page, 'instances');
  });

  it('the owner sees the launch in the sharing panel, is told to cancel sharing before deleting, cancels, deletes', async () => {
    const { page } = ownerUi;
    await page.reload();
    await imageRow(page)
      .getByRole('button', { name: `Sharing: ${imageName}` })
      .click();
    let panel = page.getByRole('dialog', { name: `Sharing of “${imageName}”` });
    const share = panel.getByRole('row').filter({ hasText: receiver.id });
    await share.getByText('Accepted').waitFor();
    await share.getByText('1 (1 running)').waitFor();
    await assertAccessible(page, 'sharing panel');
    await assertFitsWidth(page, 'sharing panel');
    await shot(page, 'sharing-panel');
    await panel.getByRole('button', { name: 'Close' }).click();

    await imageRow(page)
      .getByRole('button', { name: `Delete: ${imageName}` })
      .click();
    const del = page.getByRole('dialog', { name: `Delete “${imageName}”` });
    await del.getByText(/still shared with 1 account\(s\)\. Cancel its sharing/).waitFor();
    await shot(page, 'delete-still-shared');
    await del.getByRole('button', { name: 'Open the sharing panel' }).click();
    panel = page.getByRole('dialog', { name: `Sharing of “${imageName}”` });
    await panel.getByRole('button', { name: `Cancel sharing with ${receiver.id}` }).click();
    await page.getByText(`Sharing with ${receiver.id} cancelled.`).waitFor();
    await panel.getByText('This image is not shared with anyone.').waitFor();
    await panel.getByRole('button', { name: 'Close' }).click();

    await imageRow(page).getByText('Not shared').waitFor();
    await imageRow(page)
      .getByRole('button', { name: `Delete: ${imageName}` })
      .click();
    const confirm = page.getByRole('dialog', { name: `Delete “${imageName}”` });
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText('Image deleted.').waitFor();
    await imageRow(page).waitFor({ state: 'detached' });
  });

  it('both sides see it all under History, newest first, with who did it and through the console', async () => {
    for (const [who, ui] of [
      ['owner', ownerUi],
      ['receiver', receiverUi],
    ] as const) {
      const { page } = ui;
      await page.getByRole('link', { name: 'History' }).click();
      await page.getByRole('heading', { name: 'History' }).waitFor();
      const rows = page.getByRole('row').filter({ hasText: imageName });
      await rows.first().waitFor();
      const actions = (await rows.allInnerTexts()).map((text) => text.split(/[\t\n]+/).map((s) => s.trim()));
      const names = actions.map((cells) =>
        cells.find((c) => /^(Shared|Accepted|Instance created|Sharing cancelled|Deleted)$/.test(c)),
      );
      // Newest first: the delete, the cancel, the launch, the accept, the share. The delete names only the
      // owner (it came after the share was cancelled), so only the owner's history has it.
      const shared = ['Sharing cancelled', 'Instance created', 'Accepted', 'Shared'];
      const expected = who === 'owner' ? ['Deleted', ...shared] : shared;
      assert.deepEqual(
        names.filter((n) => n !== undefined && expected.includes(n)),
        expected,
        `${who}: ${JSON.stringify(actions)}`,
      );
      assert.ok(
        actions.every((cells) => cells.includes('Console')),
        `${who}: every change came through the console: ${JSON.stringify(actions)}`,
      );
      await assertAccessible(page, `history (${who})`);
      await assertFitsWidth(page, `history (${who})`);
      if (who === 'owner') await shot(page, 'history');
    }
  });

  it('no request left the machine', () => {
    assert.deepEqual([...ownerUi.outsideRequests, ...receiverUi.outsideRequests], []);
  });
});
