import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TencentError } from './error-codes.js';
import { Type } from '@sinclair/typebox';
import { MAX_PARAM_DEPTH, parseFlat, refuseUnsafeJsonKeys, unflatten, validateParams } from './params.js';
import { Int, Params } from './param-types.js';
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

describe('validateParams', () => {
  const schema = Params({
    Id: Type.String({ maxLength: 5, pattern: '^i-', tencentCodes: { pattern: 'InvalidId.Malformed' } }),
    N: Type.Optional(Int({ minimum: 1, maximum: 10 })),
    B: Type.Optional(Type.Boolean()),
    L: Type.Optional(Type.Array(Type.String(), { maxItems: 2 })),
    O: Type.Optional(Params({ K: Type.String() })),
    Open: Type.Optional(Type.Unknown()),
  });
  const parseParams = validateParams;

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

  it('treats null as absent (JSON clients send it for "not given")', () => {
    assert.deepEqual(parseParams(schema, { Id: 'i-1', N: null, O: { K: 'v' } }, 'json'), {
      Id: 'i-1',
      O: { K: 'v' },
    });
    assert.equal(
      code(() => parseParams(schema, { Id: null }, 'json')),
      'MissingParameter',
    );
  });

  it('says which parameter is wrong and why', () => {
    const message = (input: Record<string, unknown>, source: 'json' | 'strings' = 'json') => {
      try {
        parseParams(schema, input, source);
      } catch (err) {
        if (err instanceof TencentError) return `${err.code}: ${err.message}`;
        throw err;
      }
      return 'valid';
    };
    assert.equal(message({}), 'MissingParameter: The request is missing a required parameter Id.');
    assert.equal(
      message({ Id: 'i-1', O: {} }),
      'MissingParameter: The request is missing a required parameter O.K.',
    );
    assert.equal(
      message({ Id: 'i-1', O: { K: 'v', Z: 1 } }),
      'UnknownParameter: The parameter O.Z is not recognized.',
    );
    assert.equal(
      message({ Id: 'i-1', L: ['a', 2] }),
      'InvalidParameter: The parameter L.1 must be a string, not number.',
    );
    assert.equal(
      message({ Id: 'i-1', N: 'x' }, 'strings'),
      'InvalidParameter: The parameter N must be an integer.',
    );
    assert.equal(
      message({ Id: 'i-1', N: 0 }),
      'InvalidParameterValue: The parameter N must be between 1 and 10.',
    );
  });

  it('refuses NUL characters and deep nesting anywhere, open values included', () => {
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-\u0000' }, 'json')),
      'InvalidParameterValue',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', Open: { a: ['x\u0000'] } }, 'json')),
      'InvalidParameterValue',
    );
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', Open: { 'a\u0000': 1 } }, 'json')),
      'InvalidParameter',
    );
    let deep: unknown = 'x';
    for (let i = 0; i < MAX_PARAM_DEPTH; i++) deep = [deep];
    assert.equal(
      code(() => parseParams(schema, { Id: 'i-1', Open: deep }, 'json')),
      'InvalidParameter',
    );
    // Positive control: one level less is accepted and passed on as sent.
    assert.deepEqual(
      parseParams(schema, { Id: 'i-1', Open: (deep as unknown[])[0] }, 'json').Open,
      (deep as unknown[])[0],
    );
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
