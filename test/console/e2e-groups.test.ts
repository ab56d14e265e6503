// Account groups (issue 12) in the browser: the owner creates a group on the Account groups page, adds an
// account in the group's dialog, shares an image with the group from the Share dialog (one place in the limit),
// sees the group share in the sharing panel; the account then has the image; removed from the group in the
// dialog, it loses the image at once. Accessibility checked on the page and each dialog; screenshots taken.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestAccount } from '../helpers/server.js';
import { createActiveImage } from '../helpers/tencent.js';
import type { RequestContext } from '../../src/services/context.js';
import {
  assertAccessible,
  describeConsole,
  openShareDialog,
  rowWith,
  type ConsoleBrowser,
} from './harness.js';

const REGION = 'ap-guangzhou';

describeConsole('account groups', (suite) => {
  let owner: TestAccount;
  let receiver: TestAccount;
  let ownerUi: ConsoleBrowser;
  const ctx = (account: TestAccount): RequestContext => ({
    caller: { accountId: account.id, isAdmin: false },
    region: REGION,
    surface: 'console',
  });
  const receiverSees = async (id: string) =>
    suite.service.services.images.get(ctx(receiver), id).then(
      () => true,
      () => false,
    );

  before(async () => {
    owner = await suite.service.createAccount();
    receiver = await suite.service.createAccount();
    ownerUi = await suite.openAs(owner);
  });

  it('creates a group, adds an account, shares an image with the group, and removes the account again', async () => {
    const { page } = ownerUi;
    const groupName = `QA team ${randomBytes(2).toString('hex')}`;
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Account groups' })
      .click();
    await page.getByRole('heading', { name: 'Account groups', level: 1 }).waitFor();
    await page.getByText('You have no groups yet.').waitFor();
    await assertAccessible(page, 'groups page, empty');

    await page.getByRole('textbox', { name: 'New group name' }).fill(groupName);
    await page.getByRole('button', { name: 'Create group' }).click();
    const dialog = page.getByRole('dialog', { name: `Group “${groupName}”` });
    await dialog.waitFor();
    await dialog.getByText('No accounts in this group yet.').waitFor();
    await dialog.getByRole('textbox', { name: /Add accounts/ }).fill(receiver.id);
    await dialog.getByRole('button', { name: 'Add to group' }).click();
    const members = dialog.getByRole('list', { name: 'Accounts in this group' });
    await members.getByText(receiver.id).waitFor();
    await assertAccessible(page, 'group dialog with a member');
    await suite.shot(page, 'group-dialog');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await rowWith(page, groupName).getByText('1', { exact: true }).waitFor();
    await suite.shot(page, 'groups-page');
    const groups = await suite.service.services.groups.list(ctx(owner), { offset: 0, limit: 10 });
    const groupId = groups.groups.find((g) => g.name === groupName)!.id;

    // Share an image with the group from the Share dialog.
    const imageName = `grouped-${randomBytes(2).toString('hex')}`;
    const imageId = await createActiveImage(suite.service.services, ctx(owner), imageName);
    assert.equal(await receiverSees(imageId), false);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
    const share = await openShareDialog(page, imageName);
    const option = share.getByRole('checkbox', { name: `${groupName} (1 account(s))` });
    await option.check();
    await share.getByText('49 of 50 left', { exact: false }).waitFor();
    await assertAccessible(page, 'share dialog with a group chosen');
    await suite.shot(page, 'share-dialog-group');
    await share.getByRole('button', { name: 'Share', exact: true }).click();
    const results = share.getByRole('list', { name: 'Sharing results' });
    await results
      .getByRole('listitem')
      .filter({ hasText: groupId })
      .getByText('Shared', { exact: true })
      .waitFor();
    assert.equal(await receiverSees(imageId), true);
    const panel = await suite.service.services.shares.sharingPanel(ctx(owner), imageId);
    assert.deepEqual(
      panel.groups.map((g) => [g.groupId, g.size]),
      [[groupId, 1]],
    );
    assert.equal(panel.used, 1);
    await share.getByRole('button', { name: 'Done' }).click();

    // Removing the account from the group ends its access at once.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Account groups' })
      .click();
    await rowWith(page, groupName)
      .getByRole('button', { name: `Members of group ${groupName}` })
      .click();
    const again = page.getByRole('dialog', { name: `Group “${groupName}”` });
    await again.getByRole('list', { name: 'Images shared with this group' }).getByText(imageId).waitFor();
    await again.getByRole('button', { name: `Remove account ${receiver.id} from the group` }).click();
    await again.getByText('No accounts in this group yet.').waitFor();
    assert.equal(await receiverSees(imageId), false);
    assert.deepEqual(ownerUi.outsideRequests, []);
  });
});
