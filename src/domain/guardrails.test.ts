import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from './errors.js';
import {
  assertMayPublish,
  expandAllowListEntry,
  judgeLaunch,
  parseLaunchPolicy,
  type LaunchFacts,
  type LaunchPolicy,
} from './guardrails.js';

const NO_GROUPS = new Map<string, readonly string[]>();
const facts = (ownerId: string, visibility: LaunchFacts['image']['visibility'] = 'shared'): LaunchFacts => ({
  callerId: '100000001',
  image: { id: 'img-abcdefgh', ownerId, visibility },
});
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError);
    return err;
  }
  assert.fail('expected a refusal');
};

describe('launch policy (guardrails)', () => {
  it('parses a policy: modes, account and group entries, duplicates dropped, bounded', () => {
    assert.deepEqual(parseLaunchPolicy('enforce', ['200000002', 'grp-abc12345', '200000002'], 3), {
      mode: 'enforce',
      allowedOwners: ['200000002', 'grp-abc12345'],
    });
    assert.equal(refusal(() => parseLaunchPolicy('block', [], 3)).details.field, 'mode');
    assert.match(refusal(() => parseLaunchPolicy('audit', ['a', 'b', 'c', 'd'], 3)).message, /at most 3/);
    for (const bad of ['alice', 'grp-UPPER123', '0123456', 'img-abcdefgh', '', 5]) {
      assert.equal(refusal(() => parseLaunchPolicy('audit', [bad], 3)).code, 'InvalidInput');
    }
    assert.equal(refusal(() => parseLaunchPolicy('audit', 'x', 3)).details.field, 'allowed_owners');
  });

  it('the group hook: an account stands for itself, a group for the members it is given, else for nobody', () => {
    const groups = new Map([['grp-abc12345', ['300000003', '300000004']]]);
    assert.deepEqual(expandAllowListEntry('200000002', groups), ['200000002']);
    assert.deepEqual(expandAllowListEntry('grp-abc12345', groups), ['300000003', '300000004']);
    assert.deepEqual(expandAllowListEntry('grp-zzzzzzzz', groups), []);
  });

  it('enforce refuses owners off the list; own and public images always launch; audit only reports', () => {
    const enforce: LaunchPolicy = { mode: 'enforce', allowedOwners: ['200000002', 'grp-abc12345'] };
    assert.equal(judgeLaunch(enforce, facts('200000002'), NO_GROUPS), 'allowed');
    assert.equal(judgeLaunch(enforce, facts('100000001', 'private'), NO_GROUPS), 'allowed');
    assert.equal(judgeLaunch(enforce, facts('900000009', 'public'), NO_GROUPS), 'allowed');
    const refused = refusal(() => judgeLaunch(enforce, facts('900000009', 'community'), NO_GROUPS));
    assert.equal(refused.code, 'LaunchNotAllowed');
    assert.equal(refused.details.ownerId, '900000009');
    assert.match(refused.message, /launch policy does not allow images owned by account 900000009/);
    // Through a group, once the service passes its members.
    const groups = new Map([['grp-abc12345', ['900000009']]]);
    assert.equal(judgeLaunch(enforce, facts('900000009'), groups), 'allowed');
    assert.equal(judgeLaunch({ ...enforce, mode: 'audit' }, facts('800000008'), NO_GROUPS), 'audited');
    assert.equal(judgeLaunch({ ...enforce, mode: 'off' }, facts('800000008'), NO_GROUPS), 'allowed');
  });
});

describe('operator switches on new public and community images', () => {
  const off = { allowNewPublic: false, allowNewCommunity: false };
  it('refuses making an image public or community when switched off; existing ones stay', () => {
    assert.match(refusal(() => assertMayPublish('public', 'shared', off)).message, /New public images/);
    assert.match(refusal(() => assertMayPublish('community', null, off)).message, /New community images/);
    assert.match(refusal(() => assertMayPublish('community', 'public', off)).message, /community/);
    assertMayPublish('public', 'public', off);
    assertMayPublish('community', 'community', off);
    assertMayPublish('private', 'public', off);
    assertMayPublish('shared', null, off);
    assertMayPublish('public', null, { allowNewPublic: true, allowNewCommunity: false });
  });
});
