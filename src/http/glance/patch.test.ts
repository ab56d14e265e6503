// Glance's JSON-patch translation (PATCH /v2/images/{id}) as a pure function, with no database or HTTP:
// which attributes a patch may touch, draft-4 versus draft-10 `add`, extra-property semantics, and the
// ImagePatch that results. The translation stays in the Glance surface: its attribute names, media types
// and status codes are Glance's dialect; the image rules it feeds are the service's and the domain's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Image } from '../../domain/types.js';
import { GlanceHttpError } from './errors.js';
import { PATCH_V20, PATCH_V21, translatePatch } from './patch.js';

const image = (properties: Record<string, string> = {}, description: string | null = null) =>
  ({ properties, description }) as unknown as Image;

function refuses(fn: () => unknown, status: number, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GlanceHttpError, `expected a GlanceHttpError, got ${String(err)}`);
    assert.equal(err.statusCode, status, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const v21 = (...ops: Array<Record<string, unknown>>) => ops;

describe('Glance JSON-patch translation (no database)', () => {
  it('turns base attributes into ImagePatch fields', () => {
    const patch = translatePatch(
      PATCH_V21,
      v21(
        { op: 'replace', path: '/name', value: 'n' },
        { op: 'replace', path: '/visibility', value: 'community' },
        { op: 'replace', path: '/protected', value: true },
        { op: 'replace', path: '/min_ram', value: 512 },
        { op: 'replace', path: '/owner', value: 'abc' },
        { op: 'replace', path: '/tags', value: ['a', 'b'] },
      ),
      image(),
    );
    assert.deepEqual(patch, {
      name: 'n',
      visibility: 'community',
      protected: true,
      minRam: 512,
      ownerId: 'abc',
      tags: ['a', 'b'],
    });
  });

  it('refuses server-set and reserved attributes (403), removing base attributes (403), locations (403)', () => {
    for (const path of ['/status', '/size', '/checksum', '/id', '/created_at']) {
      refuses(
        () => translatePatch(PATCH_V21, v21({ op: 'replace', path, value: 'x' }), image()),
        403,
        /read-only/,
      );
    }
    refuses(
      () => translatePatch(PATCH_V21, v21({ op: 'add', path: '/os_glance_x', value: 'x' }), image()),
      403,
      /reserved/,
    );
    refuses(() => translatePatch(PATCH_V21, v21({ op: 'remove', path: '/name' }), image()), 403);
    refuses(
      () => translatePatch(PATCH_V21, v21({ op: 'add', path: '/locations/-', value: {} }), image()),
      403,
    );
  });

  it('checks base attribute types (400)', () => {
    refuses(
      () => translatePatch(PATCH_V21, v21({ op: 'replace', path: '/protected', value: 'yes' }), image()),
      400,
    );
    refuses(
      () => translatePatch(PATCH_V21, v21({ op: 'replace', path: '/min_disk', value: 1.5 }), image()),
      400,
    );
    refuses(() => translatePatch(PATCH_V21, v21({ op: 'replace', path: '/tags', value: [1] }), image()), 400);
  });

  it('extra properties: add sets, replace needs one to exist, remove needs one to exist (409)', () => {
    const current = image({ a: '1' });
    assert.deepEqual(translatePatch(PATCH_V21, v21({ op: 'add', path: '/b', value: '2' }), current), {
      setProperties: { b: '2' },
    });
    assert.deepEqual(translatePatch(PATCH_V21, v21({ op: 'add', path: '/a', value: '9' }), current), {
      setProperties: { a: '9' },
    });
    assert.deepEqual(translatePatch(PATCH_V21, v21({ op: 'remove', path: '/a' }), current), {
      removeProperties: ['a'],
    });
    refuses(() => translatePatch(PATCH_V21, v21({ op: 'replace', path: '/b', value: 'x' }), current), 409);
    refuses(() => translatePatch(PATCH_V21, v21({ op: 'remove', path: '/b' }), current), 409);
    refuses(() => translatePatch(PATCH_V21, v21({ op: 'add', path: '/b', value: 3 }), current), 400);
  });

  it('draft 4 (v2.0 media type): add of an existing property or base attribute is a conflict (409)', () => {
    const current = image({ a: '1' });
    refuses(() => translatePatch(PATCH_V20, [{ add: '/a', value: '2' }], current), 409, /already present/);
    refuses(() => translatePatch(PATCH_V20, [{ add: '/name', value: 'x' }], current), 409);
    assert.deepEqual(translatePatch(PATCH_V20, [{ add: '/b', value: '2' }], current), {
      setProperties: { b: '2' },
    });
  });

  it('applies operations in order and reports only the difference', () => {
    const current = image({ a: '1', keep: 'k' });
    const patch = translatePatch(
      PATCH_V21,
      v21(
        { op: 'add', path: '/b', value: '2' },
        { op: 'remove', path: '/b' },
        { op: 'replace', path: '/a', value: '1' },
        { op: 'remove', path: '/keep' },
        { op: 'add', path: '/keep', value: 'k' },
      ),
      current,
    );
    assert.deepEqual(patch, {});
  });

  it('description is an extra property in Glance and a field here', () => {
    assert.deepEqual(
      translatePatch(PATCH_V21, v21({ op: 'add', path: '/description', value: 'd' }), image()),
      { description: 'd' },
    );
    assert.deepEqual(
      translatePatch(PATCH_V21, v21({ op: 'remove', path: '/description' }), image({}, 'old')),
      { description: null },
    );
  });

  it('a property named __proto__ is an ordinary key; JSON pointer escapes are decoded', () => {
    const patch = translatePatch(
      PATCH_V21,
      v21({ op: 'add', path: '/__proto__', value: 'p' }, { op: 'add', path: '/a~1b~0c', value: 'x' }),
      image(),
    );
    assert.equal(Object.getPrototypeOf(patch.setProperties), Object.prototype);
    assert.deepEqual(Object.entries(patch.setProperties ?? {}), [
      ['__proto__', 'p'],
      ['a/b~c', 'x'],
    ]);
  });
});
