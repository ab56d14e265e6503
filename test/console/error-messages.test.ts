// The console's words for refusals of owner-only actions (web/src/api/refusals.ts): a receiver of a share is
// told that the image is shared with it and only its owner may change it, as every API tells it (issue 11,
// consistent refusals); anyone else, only that the owner may.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ownerOnlyRefusalKey } from '../../web/src/api/refusals.js';
import { en } from '../../web/src/i18n/en.js';

describe('console refusal messages', () => {
  it('a receiver refused a change, rename or share hears that the image is shared with it', () => {
    for (const code of ['NotImageOwner', 'SharedImageModifyUnsupported']) {
      assert.equal(ownerOnlyRefusalKey(code, { relation: 'member' }), 'error.SharedWithYou');
    }
    assert.match(en['error.SharedWithYou'], /shared with you: only its owner/);
  });

  it('anyone else who does not own the image is told only the owner may (not "shared")', () => {
    for (const code of ['NotImageOwner', 'SharedImageModifyUnsupported']) {
      assert.equal(ownerOnlyRefusalKey(code, { relation: 'public' }), 'error.NotImageOwner');
    }
    assert.doesNotMatch(en['error.NotImageOwner'], /shared/);
    assert.equal(ownerOnlyRefusalKey('Forbidden', { relation: 'member' }), undefined);
  });
});
