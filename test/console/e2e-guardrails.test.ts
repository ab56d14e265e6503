// Issue 12 guardrails in the browser: a receiver sets its launch policy on the Account information page
// (a malformed entry is caught as it is typed), the console refuses a launch from an owner off the list with
// words that name the owner and the way out, and in audit mode the launch goes ahead and is listed on the
// same page.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
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

describeConsole('guardrails: the launch policy', (suite) => {
  let trusted: TestAccount;
  let stranger: TestAccount;
  let receiver: TestAccount;
  let ui: ConsoleBrowser;
  let strangerImage: { id: string; name: string };
  const ctx = (account: TestAccount): RequestContext => ({
    caller: { accountId: account.id, isAdmin: false },
    region: REGION,
    surface: 'console',
  });

  before(async () => {
    trusted = await suite.service.createAccount();
    stranger = await suite.service.createAccount();
    receiver = await suite.service.createAccount();
    const name = `stranger-${randomBytes(2).toString('hex')}`;
    const id = await createActiveImage(suite.service.services, ctx(stranger), name);
    await suite.service.services.shares.addMember(ctx(stranger), id, receiver.id);
    await suite.service.services.shares.setMemberStatus(ctx(receiver), id, receiver.id, 'accepted');
    strangerImage = { id, name };
    ui = await suite.openAs(receiver);
  });

  async function openPolicy() {
    const { page } = ui;
    await page.getByRole('link', { name: 'Account information' }).click();
    const section = page.getByRole('region', { name: 'Launch policy' });
    await section.getByRole('radio', { name: /^Off/ }).waitFor();
    return section;
  }

  async function savePolicy(mode: RegExp, owners: string) {
    const section = await openPolicy();
    await section.getByRole('radio', { name: mode }).check();
    await section.getByRole('textbox', { name: 'Allowed owners' }).fill(owners);
    // The last save's message may still show: wait until it is gone, so the one awaited below is this save's.
    const saved = ui.page.getByText('Launch policy saved.');
    await saved.first().waitFor({ state: 'hidden' });
    await section.getByRole('button', { name: 'Save launch policy' }).click();
    await saved.waitFor();
    return section;
  }

  async function launchStrangerImage() {
    const { page } = ui;
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByRole('tab', { name: 'Shared images' }).click();
    await rowWith(page, strangerImage.name)
      .getByRole('button', { name: `Create instance: ${strangerImage.name}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Create an instance from “${strangerImage.name}”` });
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    return dialog;
  }

  it('enforce: an entry that is no account is caught as typed; a launch from another owner is refused in words', async () => {
    const section = await openPolicy();
    await section.getByRole('radio', { name: /^Enforce/ }).check();
    const owners = section.getByRole('textbox', { name: 'Allowed owners' });
    await owners.fill(`${trusted.id}\nalice`);
    await section.getByText('“alice” is neither an account ID nor a group ID.').scrollIntoViewIfNeeded();
    assert.equal(await section.getByRole('button', { name: 'Save launch policy' }).isDisabled(), true);
    await assertAccessible(ui.page, 'launch policy, bad entry');
    await suite.shot(ui.page, 'launch-policy-bad-entry');
    await savePolicy(/^Enforce/, `${trusted.id}, grp-abcd1234`);
    assert.deepEqual(await suite.service.services.launchPolicies.get(ctx(receiver)), {
      mode: 'enforce',
      allowedOwners: [trusted.id, 'grp-abcd1234'],
      maxAllowedOwners: 100,
    });
    await assertFitsWidth(ui.page, 'account page with the launch policy');
    await suite.shot(ui.page, 'launch-policy-enforce');

    const dialog = await launchStrangerImage();
    await dialog
      .getByText(
        `Your launch policy does not allow images from account ${stranger.id}. Add the account to your ` +
          'allowed owners (Account information), or set the policy to Audit or Off.',
      )
      .waitFor();
    await assertAccessible(ui.page, 'launch refused by the launch policy');
    await suite.shot(ui.page, 'launch-refused-by-policy');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const { instances } = await suite.service.services.instances.list(ctx(receiver));
    assert.equal(instances.length, 0);
  });

  it('audit: the launch goes ahead and is listed under the launches the list would have refused', async () => {
    await savePolicy(/^Audit/, trusted.id);
    const dialog = await launchStrangerImage();
    await ui.page.getByText(/^Instance .* created\.$/).waitFor();
    await dialog.waitFor({ state: 'detached' });
    const { instances } = await suite.service.services.instances.list(ctx(receiver));
    assert.equal(instances.length, 1);

    const section = await openPolicy();
    const records = section.getByRole('table');
    const row = records.getByRole('row').filter({ hasText: strangerImage.name });
    await row.waitFor();
    await row.getByText(stranger.id).waitFor();
    await row.getByText('Console').waitFor();
    await row.scrollIntoViewIfNeeded();
    await assertAccessible(ui.page, 'launch policy with audit records');
    await suite.shot(ui.page, 'launch-policy-audit-records');
  });
});
