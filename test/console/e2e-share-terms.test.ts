// Issue 12 in the browser: the Share dialog's pre-flight as the owner types (an unknown account refused before
// sharing, from the service's answer); a share with an end time and the copy grant chosen in the dialog, shown
// in the owner's sharing panel and in the receiver's Shared images table; the consent switch in the panel,
// which the service then enforces on the receiver's launch; the panel's live usage.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestAccount } from '../helpers/server.js';
import { createActiveImage } from '../helpers/tencent.js';
import { DomainError } from '../../src/domain/errors.js';
import type { RequestContext } from '../../src/services/context.js';
import {
  assertAccessible,
  describeConsole,
  openShareDialog,
  rowWith,
  type ConsoleBrowser,
} from './harness.js';

const REGION = 'ap-guangzhou';

describeConsole('share terms, consent and pre-flight', (suite) => {
  let owner: TestAccount;
  let receiver: TestAccount;
  let ownerUi: ConsoleBrowser;
  const ctx = (account: TestAccount): RequestContext => ({
    caller: { accountId: account.id, isAdmin: false },
    region: REGION,
    surface: 'console',
  });

  before(async () => {
    owner = await suite.service.createAccount();
    receiver = await suite.service.createAccount();
    ownerUi = await suite.openAs(owner);
  });

  it('pre-flight as the owner types: an unknown account is refused before sharing; a good one is ready', async () => {
    const { page } = ownerUi;
    const name = `preflight-${randomBytes(2).toString('hex')}`;
    await createActiveImage(suite.service.services, ctx(owner), name);
    const dialog = await openShareDialog(page, name);
    const box = dialog.getByRole('textbox', { name: 'Account IDs' });
    await box.fill(`${receiver.id}\n99999999999`);
    const checked = dialog.getByRole('list', { name: 'Account IDs checked' });
    await checked.getByText('No account has this ID.').waitFor();
    await checked
      .getByRole('listitem')
      .filter({ hasText: receiver.id })
      .getByText('Ready to share')
      .waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Share', exact: true }).isDisabled(), true);
    await assertAccessible(page, 'share dialog, pre-flight refusal');
    await suite.shot(page, 'share-dialog-preflight');
    // Nothing was shared by the check.
    assert.equal(
      await suite.service.services.images.get(ctx(receiver), await imageId(name)).catch(() => null),
      null,
    );
    await box.fill(receiver.id);
    await checked.getByText('Ready to share').waitFor();
    await page.waitForFunction(
      () => !document.querySelector('[role="dialog"] .places')?.textContent?.includes('Checking'),
    );
    assert.equal(await dialog.getByRole('button', { name: 'Share', exact: true }).isDisabled(), false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  async function imageId(name: string): Promise<string> {
    const page = await suite.service.services.catalog.browse(ctx(owner), {
      kind: 'custom',
      search: name,
      sort: 'createdAt',
      order: 'desc',
      page: 1,
      pageSize: 5,
    });
    return page.images[0]!.id;
  }

  it('an end time and the copy grant chosen in the dialog show in the panel and to the receiver', async () => {
    const { page } = ownerUi;
    const name = `terms-${randomBytes(2).toString('hex')}`;
    const id = await createActiveImage(suite.service.services, ctx(owner), name);
    const dialog = await openShareDialog(page, name);
    await dialog.getByRole('textbox', { name: 'Account IDs' }).fill(receiver.id);
    await dialog.getByLabel('Share ends (optional)').fill('2030-01-31T18:00');
    await dialog
      .getByRole('checkbox', { name: 'Receivers may copy the image into their own images' })
      .check();
    await dialog.getByText('Ready to share').waitFor();
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog
      .getByRole('list', { name: 'Sharing results' })
      .getByText('Shared', { exact: true })
      .waitFor();
    await dialog.getByRole('button', { name: 'Open the sharing panel' }).click();

    const panel = page.getByRole('dialog', { name: `Sharing of “${name}”` });
    const share = panel.getByRole('row').filter({ hasText: receiver.id });
    await share.getByText('2030').waitFor();
    await share.getByRole('cell', { name: 'Yes', exact: true }).waitFor();
    await assertAccessible(page, 'sharing panel with terms');
    await suite.shot(page, 'sharing-panel-terms');
    // The service holds the same terms (the dialog's local time, sent with its zone).
    const [member] = await suite.service.services.shares.listMembers(ctx(owner), id);
    assert.equal(member?.access, 'launch_and_copy');
    assert.equal(
      member?.expiresAt,
      new Date(await page.evaluate(() => new Date('2030-01-31T18:00').toISOString())).toISOString(),
    );

    const receiverUi = await suite.openAs(receiver);
    await receiverUi.page.getByRole('tab', { name: 'Shared images' }).click();
    await rowWith(receiverUi.page, name)
      .getByText(/Share ends .*2030/)
      .waitFor();
    await suite.shot(receiverUi.page, 'shared-images-ends');
    await receiverUi.context.close();
  });

  it('the consent switch in the panel makes the receiver accept before launching; the panel shows usage', async () => {
    const { page } = ownerUi;
    const name = `consent-${randomBytes(2).toString('hex')}`;
    const id = await createActiveImage(suite.service.services, ctx(owner), name);
    await suite.service.services.shares.addMember(ctx(owner), id, receiver.id);
    await page.reload();
    await rowWith(page, name).getByRole('button', { name: '1 account(s)' }).click();
    const panel = page.getByRole('dialog', { name: `Sharing of “${name}”` });
    const consent = panel.getByRole('checkbox', { name: 'Receivers must accept before launching' });
    assert.equal(await consent.isChecked(), false);
    await consent.check();
    await page.getByText('Consent setting saved.').waitFor();
    await assert.rejects(
      suite.service.services.instances.launch(ctx(receiver), id),
      (err: unknown) => err instanceof DomainError && err.code === 'ShareNotAccepted',
    );
    await suite.service.services.shares.setMemberStatus(ctx(receiver), id, receiver.id, 'accepted');
    await suite.service.services.instances.launch(ctx(receiver), id, { count: 2 });
    await page.reload();
    await rowWith(page, name).getByRole('button', { name: '1 account(s)' }).click();
    const share = page
      .getByRole('dialog', { name: `Sharing of “${name}”` })
      .getByRole('row')
      .filter({ hasText: receiver.id });
    await share.getByText('2 (2 running)').waitFor();
    assert.equal(
      await page.getByRole('checkbox', { name: 'Receivers must accept before launching' }).isChecked(),
      true,
    );
  });
});
