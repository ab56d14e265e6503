// Issue 12's lifecycle in the browser: deprecating an image with a replacement (the receiver's Shared images
// tab shows the tag and the image to use instead), disabling and enabling it (the receiver's tab loses and
// regains it), deletion protection (the delete is refused in words), and deleting to the recycle bin and
// restoring from it.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { TestAccount } from '../helpers/server.js';
import { createActiveImage } from '../helpers/tencent.js';
import type { RequestContext } from '../../src/services/context.js';
import {
  assertAccessible,
  assertFitsWidth,
  describeConsole,
  rowWith,
  type ConsoleBrowser,
} from './harness.js';

const REGION = 'ap-guangzhou';

describeConsole('image lifecycle', (suite) => {
  let owner: TestAccount;
  let receiver: TestAccount;
  let ownerUi: ConsoleBrowser;
  let receiverUi: ConsoleBrowser;
  const ctx = (account: TestAccount): RequestContext => ({
    caller: { accountId: account.id, isAdmin: false },
    region: REGION,
    surface: 'console',
  });
  const unique = (prefix: string) => `${prefix}-${randomBytes(2).toString('hex')}`;

  /** An image of the owner shared with (and accepted by) the receiver. */
  async function sharedImage(name: string): Promise<string> {
    const { services } = suite.service;
    const id = await createActiveImage(services, ctx(owner), name);
    await services.shares.addMember(ctx(owner), id, receiver.id);
    await services.shares.setMemberStatus(ctx(receiver), id, receiver.id, 'accepted');
    return id;
  }

  async function openLifecycle(page: Page, name: string) {
    await page.goto(`/console/images?region=${REGION}&tab=custom`);
    await rowWith(page, name)
      .getByRole('button', { name: `Lifecycle: ${name}` })
      .click();
    return page.getByRole('dialog', { name: `Lifecycle of “${name}”` });
  }

  async function sharedTab(page: Page) {
    await page.goto(`/console/images?region=${REGION}&tab=shared`);
    await page.getByRole('tab', { name: 'Shared images', selected: true }).waitFor();
  }

  before(async () => {
    owner = await suite.service.createAccount();
    receiver = await suite.service.createAccount();
    ownerUi = await suite.openAs(owner);
    receiverUi = await suite.openAs(receiver);
  });

  it('deprecate with a replacement: the receiver sees the tag and the image to use instead', async () => {
    const { page } = ownerUi;
    const name = unique('old');
    const id = await sharedImage(name);
    const replacement = await createActiveImage(suite.service.services, ctx(owner), unique('new'));
    const dialog = await openLifecycle(page, name);
    await dialog.getByRole('textbox', { name: 'Replacement image ID (optional)' }).fill(replacement);
    await dialog.getByLabel('Refuse new launches from (optional)').fill('2030-01-31T18:00');
    await dialog.getByRole('button', { name: 'Deprecate', exact: true }).click();
    await dialog.getByText(/^Deprecated since /).waitFor();
    await dialog.getByText(`Use ${replacement} instead`).waitFor();
    await assertAccessible(page, 'lifecycle dialog, deprecated');
    await assertFitsWidth(page, 'lifecycle dialog');
    await suite.shot(page, 'lifecycle-dialog-deprecated');
    const image = await suite.service.services.images.get(ctx(owner), id);
    assert.equal(image.lifecycle.replacementImageId, replacement);
    assert.equal(
      image.lifecycle.obsoleteAt,
      await page.evaluate(() => new Date('2030-01-31T18:00').toISOString()),
    );
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await rowWith(page, name).getByText('Deprecated', { exact: true }).waitFor();

    const other = receiverUi.page;
    await sharedTab(other);
    const row = rowWith(other, name);
    await row.getByText('Deprecated', { exact: true }).waitFor();
    await row.getByText(`Use ${replacement} instead`).waitFor();
    await row.getByText(/No new instances from .*2030/).waitFor();
    await assertAccessible(other, 'shared images with a deprecated image');
    await suite.shot(other, 'shared-images-deprecated');
  });

  it('disable suspends the share (the receiver loses the image); enable brings it back accepted', async () => {
    const { page } = ownerUi;
    const name = unique('disable');
    await sharedImage(name);
    const other = receiverUi.page;
    await sharedTab(other);
    await rowWith(other, name).waitFor();

    const dialog = await openLifecycle(page, name);
    await dialog.getByRole('button', { name: 'Disable image' }).click();
    await dialog.getByText(/^Disabled: every share is suspended/).waitFor();
    await suite.shot(page, 'lifecycle-dialog-disabled');
    await sharedTab(other);
    await other.getByRole('table').waitFor();
    assert.equal(await rowWith(other, name).count(), 0, 'a disabled image is gone from the receiver');
    // The owner's sharing panel says the shares are suspended (and still lists them).
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await page.reload();
    await rowWith(page, name)
      .getByRole('button', { name: `Sharing: ${name}` })
      .click();
    const panel = page.getByRole('dialog', { name: `Sharing of “${name}”` });
    await panel.getByText(/^Disabled: every share is suspended/).waitFor();
    await rowWith(panel, receiver.id).waitFor();
    await suite.shot(page, 'sharing-panel-disabled');
    await panel.getByRole('button', { name: 'Close' }).first().click();

    const again = await openLifecycle(page, name);
    await again.getByRole('button', { name: 'Enable image' }).click();
    await again.getByText(/^Enabled:/).waitFor();
    await sharedTab(other);
    await rowWith(other, name).getByText('Accepted').waitFor();
  });

  it('deletion protection: the delete is refused in words until protection is turned off', async () => {
    const { page } = ownerUi;
    const name = unique('protected');
    const id = await createActiveImage(suite.service.services, ctx(owner), name);
    const dialog = await openLifecycle(page, name);
    await dialog.getByRole('button', { name: 'Turn protection on' }).click();
    await dialog.getByText(/^On: nobody can delete this image/).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await rowWith(page, name).getByText('Deletion protection', { exact: true }).waitFor();

    await rowWith(page, name)
      .getByRole('button', { name: `Delete: ${name}` })
      .click();
    const remove = page.getByRole('dialog', { name: `Delete “${name}”` });
    await remove.getByRole('button', { name: 'Delete', exact: true }).click();
    await remove.getByText(/This image has deletion protection: turn it off under Lifecycle/).waitFor();
    await assertAccessible(page, 'delete refused: protected');
    await suite.shot(page, 'delete-refused-protected');
    await remove.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await suite.service.services.images.get(ctx(owner), id)).protected, true);

    const again = await openLifecycle(page, name);
    await again.getByRole('button', { name: 'Turn protection off' }).click();
    await again.getByText(/^Off: the image can be deleted/).waitFor();
    await again.getByRole('button', { name: 'Close' }).first().click();
    await rowWith(page, name)
      .getByRole('button', { name: `Delete: ${name}` })
      .click();
    await page
      .getByRole('dialog', { name: `Delete “${name}”` })
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    await page.getByText('Image deleted.').waitFor();
  });

  // (The console offers no delete of a shared image: the seed's rule. Shares coming back with a restore,
  // under Glance's delete policy, are test/image-lifecycle.test.ts's.)
  it('delete to the recycle bin and restore: the image comes back', async () => {
    const { page } = ownerUi;
    const name = unique('binned');
    const id = await createActiveImage(suite.service.services, ctx(owner), `${name}-solo`);
    await page.goto(`/console/images?region=${REGION}&tab=custom`);
    await rowWith(page, `${name}-solo`)
      .getByRole('button', { name: `Delete: ${name}-solo` })
      .click();
    const remove = page.getByRole('dialog', { name: `Delete “${name}-solo”` });
    await remove.getByText(/moves to the Recycle bin tab, where you can restore it for 7 days/).waitFor();
    await suite.shot(page, 'delete-to-recycle-bin');
    await remove.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText('Image deleted.').waitFor();

    await page.getByRole('tab', { name: 'Recycle bin' }).click();
    const row = rowWith(page, id);
    await row.waitFor();
    await assertAccessible(page, 'recycle bin');
    await assertFitsWidth(page, 'recycle bin');
    await suite.shot(page, 'recycle-bin');
    await row.getByRole('button', { name: `Restore: ${name}-solo` }).click();
    await page.getByText('Image restored, with its shares.').waitFor();
    await row.waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Custom images' }).click();
    await rowWith(page, `${name}-solo`).getByText('Available').waitFor();
    assert.equal((await suite.service.services.images.get(ctx(owner), id)).status, 'active');
  });
});
