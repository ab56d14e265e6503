// The image status machine, with no database: the table's edges, refusals as InvalidImageStatus, and the
// upload and deactivation rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError, type ErrorCode } from './errors.js';
import {
  INITIAL_STATUS,
  assertMaySwitchActivation,
  assertUploadable,
  canTransition,
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
