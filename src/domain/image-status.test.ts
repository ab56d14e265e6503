// The image status machine, with no database: the table's edges, refusals as InvalidImageStatus, and the
// upload and deactivation rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError, type ErrorCode } from './errors.js';
import {
  INITIAL_STATUS,
  assertMaySwitchActivation,
  assertNotObsolete,
  assertUploadable,
  assertValidReplacement,
  canTransition,
  deleteOutcome,
  isPurgeDue,
  parseObsoleteAt,
  restoreTarget,
  transition,
} from './image-status.js';
import { imageStatuses, type ImageStatus } from './types.js';

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof DomainError && err.code === code);
}

const image = (status: ImageStatus) => ({ id: 'img-aaaaaaaa', status });

describe('image status machine (domain, no database)', () => {
  it('allows the life of an image: queued -> saving -> active <-> deactivated -> deleted', () => {
    let status = INITIAL_STATUS;
    for (const to of ['saving', 'active', 'deactivated', 'active', 'deactivated', 'deleted'] as const) {
      status = transition(image(status), to);
      assert.equal(status, to);
    }
  });

  it('allows a failed upload back to queued, and an abandoned one to be taken over (saving -> saving)', () => {
    assert.equal(transition(image('saving'), 'queued'), 'queued');
    assert.equal(transition(image('saving'), 'saving'), 'saving');
  });

  it('lets data found damaged (images verify --mark) kill an active or deactivated image, for good', () => {
    assert.equal(transition(image('active'), 'killed'), 'killed');
    assert.equal(transition(image('deactivated'), 'killed'), 'killed');
    for (const to of imageStatuses.filter((s) => s !== 'deleted')) {
      assert.equal(canTransition('killed', to), false, `killed -> ${to}`);
    }
  });

  it('lets every status but deleted be deleted', () => {
    for (const from of imageStatuses.filter((s) => s !== 'deleted')) {
      assert.equal(transition(image(from), 'deleted'), 'deleted', from);
    }
  });

  it('refuses what the table does not have, as InvalidImageStatus', () => {
    const refused: Array<[ImageStatus, ImageStatus]> = [
      ['deleted', 'active'],
      ['deleted', 'queued'],
      ['queued', 'deactivated'],
      ['active', 'saving'],
      ['active', 'queued'],
      ['killed', 'active'],
      ['deactivated', 'saving'],
    ];
    for (const [from, to] of refused) {
      assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
      throwsCode(() => transition(image(from), to), 'InvalidImageStatus');
    }
  });

  it('nothing leaves deleted', () => {
    for (const to of imageStatuses) assert.equal(canTransition('deleted', to), false, to);
  });

  it('uploads go to a queued image with both formats, or to an abandoned upload', () => {
    const now = new Date('2026-01-01T00:10:00.000Z');
    const base = { id: 'img-aaaaaaaa', diskFormat: 'raw', containerFormat: 'bare', uploadHeartbeatAt: null };
    assertUploadable({ ...base, status: 'queued' }, now, 60_000);
    const fresh = { ...base, status: 'saving' as const, uploadHeartbeatAt: '2026-01-01T00:09:30.000Z' };
    throwsCode(() => assertUploadable(fresh, now, 60_000), 'InvalidImageStatus');
    const stale = { ...fresh, uploadHeartbeatAt: '2026-01-01T00:08:00.000Z' };
    assertUploadable(stale, now, 60_000);
    throwsCode(() => assertUploadable({ ...base, status: 'active' }, now, 60_000), 'InvalidImageStatus');
    throwsCode(
      () => assertUploadable({ ...base, status: 'queued', containerFormat: null }, now, 60_000),
      'InvalidInput',
    );
  });

  it('deactivation and reactivation apply to active or deactivated images only (Forbidden, as Glance)', () => {
    for (const status of ['active', 'deactivated'] as const) {
      assertMaySwitchActivation({ status }, 'deactivate');
      assertMaySwitchActivation({ status }, 'reactivate');
    }
    throwsCode(() => assertMaySwitchActivation({ status: 'queued' }, 'deactivate'), 'Forbidden');
    throwsCode(() => assertMaySwitchActivation({ status: 'saving' }, 'reactivate'), 'Forbidden');
  });
});

describe('lifecycle rules', () => {
  const NOW = '2026-06-01T12:00:00.000Z';

  it('a delete bins an image with data for recycleBinDays, and deletes the rest (or everything at 0 days)', () => {
    assert.deepEqual(deleteOutcome({ status: 'active' }, 7, NOW), {
      to: 'pending_delete',
      purgeAfter: '2026-06-08T12:00:00.000Z',
    });
    assert.equal(deleteOutcome({ status: 'deactivated' }, 1, NOW).to, 'pending_delete');
    for (const status of ['queued', 'saving', 'killed'] as const) {
      assert.equal(deleteOutcome({ status }, 7, NOW).to, 'deleted', status);
    }
    assert.equal(deleteOutcome({ status: 'active' }, 0, NOW).to, 'deleted');
  });

  it('a restore returns the status it was binned from, until the retention ends; then it is not found', () => {
    const binned = { id: 'img-aaaaaaaa', status: 'pending_delete' as const, purgeAfter: NOW };
    const before = new Date(Date.parse(NOW) - 1).toISOString();
    assert.equal(restoreTarget({ ...binned, binnedFrom: 'active' }, before), 'active');
    assert.equal(restoreTarget({ ...binned, binnedFrom: 'deactivated' }, before), 'deactivated');
    throwsCode(() => restoreTarget({ ...binned, binnedFrom: 'active' }, NOW), 'ImageNotFound');
    throwsCode(
      () => restoreTarget({ ...binned, status: 'active', binnedFrom: null }, before),
      'ImageNotFound',
    );
    assert.equal(isPurgeDue({ purgeAfter: NOW }, before), false);
    assert.equal(isPurgeDue({ purgeAfter: NOW }, NOW), true);
    assert.equal(isPurgeDue({ purgeAfter: null }, NOW), false);
  });

  it('an obsolescence date: zoned ISO-8601, in the future, at most ten years ahead', () => {
    assert.equal(parseObsoleteAt('2026-06-02T12:00:00+08:00', NOW), '2026-06-02T04:00:00.000Z');
    assert.equal(parseObsoleteAt(null, NOW), null);
    for (const bad of ['2026-06-02', '2026-06-02T12:00:00', NOW, '2036-07-01T00:00:00Z', 'soon']) {
      throwsCode(() => parseObsoleteAt(bad, NOW), 'InvalidInput');
    }
  });

  it('new launches stop at the obsolescence date; a replacement is another image the owner sees', () => {
    const image = { id: 'img-aaaaaaaa', obsoleteAt: NOW, replacementImageId: 'img-bbbbbbbb' };
    assertNotObsolete(image, new Date(Date.parse(NOW) - 1).toISOString());
    assertNotObsolete({ ...image, obsoleteAt: null }, '2099-01-01T00:00:00.000Z');
    throwsCode(() => assertNotObsolete(image, NOW), 'InvalidImageStatus');
    assert.throws(() => assertNotObsolete(image, NOW), /launch its replacement img-bbbbbbbb/);
    assertValidReplacement('img-aaaaaaaa', 'img-bbbbbbbb', true);
    throwsCode(() => assertValidReplacement('img-aaaaaaaa', 'img-aaaaaaaa', true), 'InvalidInput');
    throwsCode(() => assertValidReplacement('img-aaaaaaaa', 'img-bbbbbbbb', false), 'InvalidInput');
  });
});
