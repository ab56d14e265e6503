import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TencentError } from './error-codes.js';
import { parseFlat, parseParams, refuseUnsafeJsonKeys, unflatten, type Schema } from './params.js';
import { isTencentRequest } from './api3/plugin.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TencentError) return err.code;
    throw err;
  }
  return undefined;
}

describe('unflatten', () => {
  it('builds arrays from 0- and 1-based indexes, ordered by number, and nested objects', () => {
    assert.deepEqual(unflatten({ 'AccountIds.10': 'c', 'AccountIds.2': 'b', 'AccountIds.0': 'a' }), {
      AccountIds: ['a', 'b', 'c'],
    });
    assert.deepEqual(
      unflatten({ 'Filters.1.Name': 'image-type', 'Filters.1.Values.1': 'PRIVATE_IMAGE', Limit: '5' }),
      { Filters: [{ Name: 'image-type', Values: ['PRIVATE_IMAGE'] }], Limit: '5' },
    );
  });

  it('refuses conflicting or malformed names', () => {
    assert.equal(
      code(() => unflatten({ A: '1', 'A.0': '2' })),
      'InvalidParameter',
    );
    assert.equal(
      code(() => unflatten({ 'A..0': '1' })),
      'InvalidParameter',
    );
    assert.equal(
      code(() => unflatten({ 'A.99999999': '1' })),
      'InvalidParameter',
    );
  });

  // Security regression: these used to write Object.prototype (unflatten runs before authentication).
  it('refuses __proto__, constructor and prototype segments and never touches Object.prototype', () => {
    // Entry lists, not object literals: `{ __proto__: 'x' }` in source would set a prototype, not a key.
    const polluting: Array<Array<[string, string]>> = [
      [['__proto__.visibility', 'community']],
      [['constructor.prototype.visibility', 'community']],
      [['A.__proto__.visibility', 'community']],
      [['Filters.0.constructor.prototype.visibility', 'community']],
      [['A.prototype', 'x']],
      [['constructor', 'x']],
      [['__proto__', 'x']],
      // Refused before anything is built: the unsafe name comes after a valid one.
      [
        ['ImageId', 'img-1'],
        ['x.__proto__.visibility', 'community'],
      ],
    ];
    for (const entries of polluting) {
      // Object.fromEntries makes an own "__proto__" key, as actionParams hands it over.
      const input = Object.fromEntries(entries) as Record<string, string>;
      assert.equal(Object.keys(input).length, entries.length);
      assert.equal(
        code(() => unflatten(input)),
        'InvalidParameter',
        JSON.stringify(entries),
      );
      const query = new URLSearchParams(entries).toString();
      assert.equal(
        code(() => unflatten(parseFlat(query))),
        'InvalidParameter',
        query,
      );
    }
    const probe = {} as Record<string, unknown>;
    assert.equal(probe.visibility, undefined);
    assert.equal(Object.hasOwn(Object.prototype, 'visibility'), false);
  });

  it('treats names of Object.prototype members as ordinary parameters', () => {
    assert.deepEqual(unflatten({ 'toString.0': 'a', hasOwnProperty: 'b', 'valueOf.x': 'c' }), {
      toString: ['a'],
      hasOwnProperty: 'b',
      valueOf: { x: 'c' },
    });
  });

  it('the JSON reviver refuses unsafe keys at any depth', () => {
    const parse = (text: string) => () => JSON.parse(text, refuseUnsafeJsonKeys) as unknown;
    assert.equal(code(parse('{"__proto__":{"x":1}}')), 'InvalidParameter');
    assert.equal(code(parse('{"constructor":{"prototype":{"y":1}}}')), 'InvalidParameter');
    assert.equal(code(parse('{"A":[{"B":{"prototype":1}}]}')), 'InvalidParameter');
    assert.deepEqual(JSON.parse('{"A":[{"B":1}],"toString":"x"}', refuseUnsafeJsonKeys), {
      A: [{ B: 1 }],
      toString: 'x',
    });
  });

  it('parseFlat refuses a parameter given twice', () => {
    assert.deepEqual({ ...parseFlat('a=1&b=x%20y') }, { a: '1', b: 'x y' });
    assert.equal(
      code(() => parseFlat('a=1&a=2')),
      'InvalidParameter',
    );
  });
});

describe('parseParams', () => {
  const schema = {
    Id: { type: 'string', required: true, maxLength: 5, pattern: /^i-/, patternCode: 'InvalidId.Malformed' },
    N: { type: 'integer', min: 1, max: 10 },
    B: { type: 'boolean' },
    L: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    O: { type: 'object', fields: { K: { type: 'string', required: true } } },
  } as const satisfies Schema;

  it('coerces strings from queries and forms, but not in JSON', () => {
    assert.deepEqual(parseParams(schema, { Id: 'i-1', N: '3', B: 'true' }, 'strings'), {
      Id: 'i-1',
      N: 3,
      B: true,
    });
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', N: '3' }, 'json')),
      'InvalidParameter',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', B: 'yes' }, 'strings')),
      'InvalidParameter',
    );
  });

  it('maps each problem to its code', () => {
    assert.equal(
      code(() => parseParams(schema, {}, 'json')),
      'MissingParameter',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', X: 1 }, 'json')),
      'UnknownParameter',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-123456' }, 'json')),
      'InvalidParameterValue.TooLarge',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'x' }, 'json')),
      'InvalidId.Malformed',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', N: 11 }, 'json')),
      'InvalidParameterValue',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', L: ['a', 'b', 'c'] }, 'json')),
      'InvalidParameterValue.LimitExceeded',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', O: { K: 'v', Z: 1 } }, 'json')),
      'UnknownParameter',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', O: [] }, 'json')),
      'InvalidParameter',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 1 }, 'json')),
      'InvalidParameter',
    );
    const polluted = JSON.parse('{"Id":"i-1","__proto__":{"admin":true}}') as Record<string, unknown>;
    assert.equal(
      code(() => parseParams(schema, polluted, 'json')),
      'UnknownParameter',
    );
  });

  it('reads own properties only', () => {
    // An input whose prototype carries a schema field: the field is missing, not inherited.
    const inherited = Object.create({ Id: 'i-1' }) as Record<string, unknown>;
    assert.equal(
      code(() => parseParams(schema, inherited, 'json')),
      'MissingParameter',
    );
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { Id: 'i-1' });
    assert.deepEqual(parseParams(schema, bare, 'json'), { Id: 'i-1' });
  });
});

describe('isTencentRequest', () => {
  it('is true for X-TC-Action, an Action query parameter, or an Action form field', () => {
    assert.equal(
      isTencentRequest({ headers: { 'x-tc-action': 'DescribeRegions' }, url: '/', body: undefined }),
      true,
    );
    assert.equal(isTencentRequest({ headers: {}, url: '/?Action=DescribeRegions', body: undefined }), true);
    assert.equal(
      isTencentRequest({
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        url: '/',
        body: Buffer.from('Action=DescribeRegions&Nonce=1'),
      }),
      true,
    );
    assert.equal(isTencentRequest({ headers: {}, url: '/', body: undefined }), false);
    assert.equal(isTencentRequest({ headers: {}, url: '/?action=x', body: undefined }), false);
  });
});
