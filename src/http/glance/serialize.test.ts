// Glance's image JSON: every base field, extra properties beside them (never over them), times to the second.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Image } from '../../domain/types.js';
import { imageBody, isoSeconds } from './serialize.js';

const image = (over: Partial<Image> = {}): Image =>
  ({
    id: 'img-abcdefgh',
    name: 'n',
    description: null,
    status: 'active',
    visibility: 'shared',
    protected: false,
    osHidden: false,
    checksum: null,
    osHashAlgo: null,
    osHashValue: null,
    ownerId: '1234567890',
    size: 1073741824,
    virtualSize: null,
    containerFormat: 'bare',
    diskFormat: 'raw',
    minDisk: 0,
    minRam: 0,
    tags: ['a'],
    createdAt: '2026-11-27T12:34:56.789Z',
    updatedAt: '2026-11-27T12:35:00.001Z',
    properties: {},
    lifecycle: {
      deprecatedAt: null,
      replacementImageId: null,
      obsoleteAt: null,
      disabledAt: null,
      deletedAt: null,
      purgeAfter: null,
    },
    ...over,
  }) as Image;

describe('imageBody', () => {
  it('shows every base field, with Glance times', () => {
    const body = imageBody(image());
    assert.equal(body.created_at, '2026-11-27T12:34:56Z');
    assert.equal(body.updated_at, '2026-11-27T12:35:00Z');
    assert.equal(body.self, '/v2/images/img-abcdefgh');
    assert.equal(body.file, '/v2/images/img-abcdefgh/file');
    assert.equal(body.size, 1073741824);
    assert.equal(body.checksum, null);
    assert.equal('description' in body, false);
    assert.equal(Object.keys(body).length, 22);
  });

  it('adds extra properties as strings, never over a base field; description when set', () => {
    const props = JSON.parse(
      '{"os_distro":"debian","id":"img-zzzzzzzz","self":"x","__proto__":"p","toString":"t","description":"d2"}',
    ) as Record<string, string>;
    const body = JSON.parse(
      JSON.stringify(imageBody(image({ properties: props, description: 'd' }))),
    ) as Record<string, unknown>;
    assert.equal(body.os_distro, 'debian');
    assert.equal(body.id, 'img-abcdefgh');
    assert.equal(body.self, '/v2/images/img-abcdefgh');
    assert.equal(Object.getOwnPropertyDescriptor(body, 'toString')?.value, 't');
    assert.equal(Object.getOwnPropertyDescriptor(body, '__proto__')?.value, 'p');
    assert.equal(body.description, 'd');
    // Without a description of its own, an extra property of that name shows (as before).
    assert.equal(imageBody(image({ properties: { description: 'd2' } })).description, 'd2');
  });

  it('cuts any ISO time to the second; leaves what is no time alone', () => {
    assert.equal(isoSeconds('2026-01-02T03:04:05.678Z'), '2026-01-02T03:04:05Z');
    assert.equal(isoSeconds('2026-01-02T03:04:05+02:00'), '2026-01-02T01:04:05Z');
    assert.equal(isoSeconds('not a time'), 'not a time');
  });

  it('shows the lifecycle extension only when it holds, as strings, after the base fields', () => {
    assert.equal('os_deprecated' in imageBody(image()), false);
    const lifecycle = {
      ...image().lifecycle,
      deprecatedAt: '2026-11-27T12:00:00.123Z',
      replacementImageId: 'img-newer000',
      disabledAt: '2026-11-27T12:30:00.000Z',
    };
    const body = imageBody(image({ lifecycle, properties: { os_deprecated: 'false' } }));
    assert.equal(body.os_deprecated, 'true', 'a property of that name never hides the state');
    assert.equal(body.deprecated_at, '2026-11-27T12:00:00Z');
    assert.equal(body.os_replacement_image, 'img-newer000');
    assert.equal('os_obsolete_at' in body, false);
    assert.equal(body.os_disabled, 'true');
  });
});
