// Generated requests for every request shape of every surface (issue 11): Glance JSON and JSON-patch bodies,
// headers, query strings and IDs; Keystone auth bodies; Tencent API 3.0 bodies and headers, signed and not;
// legacy query and form parameters, signed and not; console API bodies. Values are random and mutated: valid
// shapes with a field dropped, retyped or replaced by unicode, NULs, huge or empty strings.
import fc from 'fast-check';
import { withoutControls, type Fixtures, type FuzzRequest } from './harness.js';

/** Strings an attacker tries: unicode, NULs, control characters, traversal, numbers as text, huge, empty. */
const weirdStringBase: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '%00',
    '%',
    '%zz',
    '..',
    '../../etc/passwd',
    '\uD800',
    '\uFEFF',
    '💥',
    'null',
    'true',
    '-1',
    '0',
    '1e309',
    'NaN',
    '9'.repeat(40),
    '__proto__',
    'constructor',
    'img-00000000',
    "' or 1=1 --",
    '${jndi:x}',
  ),
);

/** Mostly the strings above, now and then a huge one (up to 70 kB: over the URL and header limits). */
const weirdString: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: weirdStringBase },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 70_000 }).map((n) => 'x'.repeat(n)) },
);

/** Any JSON value, wrong types included, and the weird strings. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: weirdString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, [], {}) },
);

/** A valid object with a few mutations: a field dropped, replaced by anything, or an unknown one added. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const mutation = fc.tuple(
    fc.constantFrom('drop', 'set', 'add', 'keep'),
    keys.length ? fc.constantFrom(...keys) : fc.constant('x'),
    anyValue,
    weirdString,
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(valid) },
    {
      weight: 6,
      arbitrary: fc.array(mutation, { maxLength: 3 }).map((ms) => {
        const out: Record<string, unknown> = { ...valid };
        for (const [kind, key, value, name] of ms) {
          if (kind === 'drop') delete out[key];
          else if (kind === 'set') out[key] = value;
          else if (kind === 'add') out[name] = value;
        }
        return out;
      }),
    },
    { weight: 1, arbitrary: anyValue },
  );
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** A share end or obsolescence date a few seconds ahead, so that later cases see it pass. */
function soon(): fc.Arbitrary<string> {
  return fc.integer({ min: 1, max: 5 }).map((s) => new Date(Date.now() + s * 1000).toISOString());
}

/** Text as it goes into a URL path segment or query (fetch would otherwise reject or reinterpret it). */
const enc = encodeURIComponent;

function safeEncode(value: string): string {
  try {
    return enc(value);
  } catch {
    return enc(value.replace(/[\uD800-\uDFFF]/g, '?'));
  }
}

const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/openstack-images-v2.1-json-patch',
    'application/openstack-images-v2.0-json-patch',
    'application/octet-stream',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/plain',
    'application/json; charset=utf-16',
    '/',
    ';;;',
    'a/b/c',
  ),
  weirdString.map(withoutControls),
);

/** Mostly the right Content-Type, so that most bodies reach validation; now and then any. */
function mostly(right: string): fc.Arbitrary<string> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(right) }, { weight: 1, arbitrary: contentTypes });
}

// --- Glance ----------------------------------------------------------------------------------------------

export function glance(fx: Fixtures): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(fx.images.active, fx.images.shared, fx.images.queued, fx.images.abandoned),
    },
    { weight: 1, arbitrary: weirdString.map(safeEncode) },
  );
  const member = fc.oneof(
    fc.constantFrom(fx.receiver.id, fx.stranger.id, fx.owner.id),
    weirdString.map(safeEncode),
  );
  const groupId = fc.oneof(
    { weight: 3, arbitrary: fc.constant(fx.group) },
    { weight: 1, arbitrary: weirdString.map(safeEncode) },
  );
  const token = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(fx.tokens.owner, fx.tokens.receiver, fx.tokens.stranger, fx.tokens.admin),
    },
    { weight: 1, arbitrary: weirdString },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const prefix = fc.constantFrom('', '', '/regions/ap-shanghai', '/regions/ap-guangzhou', '/regions/nowhere');
  const queryKey = fc.oneof(
    fc.constantFrom(
      'limit',
      'marker',
      'sort_key',
      'sort_dir',
      'sort',
      'name',
      'status',
      'visibility',
      'member_status',
      'owner',
      'tag',
      'size_min',
      'size_max',
      'os_hidden',
      'created_at',
      'updated_at',
      'disk_format',
      'protected',
    ),
    weirdString,
  );
  const query = fc
    .array(fc.tuple(queryKey, weirdString), { maxLength: 4 })
    .map((pairs) =>
      pairs.length ? `?${pairs.map(([k, v]) => `${safeEncode(k)}=${safeEncode(v)}`).join('&')}` : '',
    );
  const imageBody = mutated({
    name: 'fuzz',
    disk_format: 'raw',
    container_format: 'bare',
    visibility: 'shared',
    tags: ['a'],
    min_disk: 1,
    min_ram: 1,
    protected: false,
    custom_prop: 'x',
  });
  const patchOp = mutated({ op: 'replace', path: '/name', value: 'x' }).chain((op) =>
    fc
      .tuple(
        fc.constantFrom('add', 'replace', 'remove', 'test', 'move', 'copy', 'x'),
        fc.oneof(
          fc.constantFrom(
            '/name',
            '/tags',
            '/tags/0',
            '/tags/-',
            '/visibility',
            '/protected',
            '/status',
            '/locations',
            '/owner',
            '/id',
            '/checksum',
            '/os_hidden',
            '/custom',
            '/min_ram',
            '/a/b',
            '',
            '/',
          ),
          weirdString,
        ),
        anyValue,
      )
      .map(([kind, path, value]) =>
        typeof op === 'object' && op !== null && !Array.isArray(op) ? { ...op, op: kind, path, value } : op,
      ),
  );
  const patchBody = fc.oneof(fc.array(patchOp, { maxLength: 4 }), anyValue);
  const shape = fc.oneof(
    fc.record({
      m: fc.constantFrom('GET', 'HEAD'),
      p: fc.constant('/v2/images'),
      q: query,
      b: fc.constant(undefined),
      ct: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: fc.constant('/v2/images'),
      q: fc.constant(''),
      b: imageBody.map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'DELETE', 'HEAD', 'PUT'),
      p: id.map((i) => `/v2/images/${i}`),
      q: fc.constant(''),
      b: fc.constant(undefined),
      ct: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('PATCH'),
      p: id.map((i) => `/v2/images/${i}`),
      q: fc.constant(''),
      b: patchBody.map(json),
      ct: mostly('application/openstack-images-v2.1-json-patch'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'POST'),
      p: id.map((i) => `/v2/images/${i}/members`),
      q: fc.constant(''),
      b: mutated({ member: fx.receiver.id }).map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'PUT', 'DELETE'),
      p: fc.tuple(id, member).map(([i, a]) => `/v2/images/${i}/members/${a}`),
      q: fc.constant(''),
      // A receiver's answer, or (the extension) the owner's new terms for the share.
      b: fc
        .oneof(
          mutated({ status: 'accepted' }),
          soon().chain((t) => mutated({ expires_at: t, access: 'launch' })),
        )
        .map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('PUT', 'DELETE'),
      p: fc.tuple(id, weirdString).map(([i, t]) => `/v2/images/${i}/tags/${safeEncode(t)}`),
      q: fc.constant(''),
      b: fc.constant(undefined),
      ct: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: fc
        .tuple(id, fc.constantFrom('deactivate', 'reactivate', 'x'))
        .map(([i, a]) => `/v2/images/${i}/actions/${a}`),
      q: fc.constant(''),
      b: fc.constant(undefined),
      ct: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('PUT'),
      p: id.map((i) => `/v2/images/${i}/file`),
      q: fc.constant(''),
      b: fc.string({ maxLength: 64 }),
      ct: mostly('application/octet-stream'),
    }),
    fc.record({
      m: fc.constant('GET'),
      p: id.map((i) => `/v2/images/${i}/file`),
      q: fc.constant(''),
      b: fc.constant(undefined),
      ct: fc.constant(undefined),
    }),
    // imageshare's extensions: lifecycle actions, the recycle bin, pre-flight, groups, inbox, webhooks and
    // the launch policy (each a different write path a refusal must leave as it found it).
    fc.record({
      m: fc.constant('POST'),
      p: fc
        .tuple(id, fc.constantFrom('deprecate', 'undeprecate', 'disable', 'enable', 'restore'))
        .map(([i, a]) => `/v2/images/${i}/actions/${a}`),
      q: fc.constant(''),
      b: fc.option(
        soon()
          .chain((t) => mutated({ replacement: fx.images.active, obsolete_at: t }))
          .map(json),
        { nil: undefined },
      ),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constant('GET'),
      p: fc.constant('/v2/recycle-bin/images'),
      q: query,
      b: fc.constant(undefined),
      ct: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: id.map((i) => `/v2/images/${i}/members-preflight`),
      q: fc.constant(''),
      b: mutated({ members: [fx.receiver.id, fx.stranger.id, fx.group] }).map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: id.map((i) => `/v2/images/${i}/members`),
      q: fc.constant(''),
      b: soon()
        .chain((t) => mutated({ member: fx.stranger.id, expires_at: t, access: 'launch_and_copy' }))
        .map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'POST'),
      p: fc.constant('/v2/groups'),
      q: fc.constant(''),
      b: mutated({ name: 'g', description: 'd' }).map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'PATCH', 'DELETE'),
      p: groupId.map((gr) => `/v2/groups/${gr}`),
      q: fc.constant(''),
      b: mutated({ name: 'h', description: 'e' }).map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'POST', 'DELETE'),
      p: fc
        .tuple(groupId, fc.option(member, { nil: undefined }))
        .map(([gr, a]) => `/v2/groups/${gr}/members${a === undefined ? '' : `/${a}`}`),
      q: fc.constant(''),
      b: mutated({ members: [fx.stranger.id] }).map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'POST', 'PUT'),
      p: fc.oneof(
        fc.constantFrom('/v2/inbox', '/v2/inbox/read-all'),
        weirdString.map((e) => `/v2/inbox/${safeEncode(e)}`),
      ),
      q: query,
      b: mutated({ read: true }).map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'POST', 'DELETE'),
      p: fc.oneof(
        fc.constant('/v2/webhooks'),
        weirdString.map((w) => `/v2/webhooks/${safeEncode(w)}`),
        weirdString.map((w) => `/v2/webhooks/${safeEncode(w)}/deliveries`),
      ),
      q: fc.constant(''),
      b: mutated({ url: 'https://hooks.example.com/x', description: 'd' }).map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'PUT'),
      p: fc.constantFrom('/v2/account/launch-policy', '/v2/account/launch-audit'),
      q: fc.constant(''),
      b: mutated({ mode: 'audit', allowed_owners: [fx.owner.id, fx.group] }).map(json),
      ct: mostly('application/json'),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'POST', 'DELETE'),
      p: fc.oneof(
        fc.constantFrom(
          '/',
          '/v2',
          '/v2/schemas/image',
          '/v2/schemas/images',
          '/v2/schemas/member',
          '/v2/images/',
          '/v2/info/import',
        ),
        weirdString.map((s) => `/v2/${safeEncode(s)}`),
      ),
      q: fc.constant(''),
      b: fc.constant(undefined),
      ct: fc.constant(undefined),
    }),
  );
  return fc
    .tuple(
      shape,
      prefix,
      token,
      fc.option(weirdString.map(safeEncode), { nil: undefined }),
      fc.option(weirdString, { nil: undefined }),
    )
    .map(([s, pre, tok, range, extra]) => {
      const headers: Record<string, string> = {};
      if (tok !== undefined) headers['x-auth-token'] = tok;
      if (s.ct !== undefined) headers['content-type'] = s.ct;
      if (range !== undefined && s.p.endsWith('/file')) headers.range = `bytes=${range}`;
      if (extra !== undefined) headers['x-openstack-image-size'] = extra;
      return {
        method: s.m,
        path: `${pre}${s.p}${s.q}`,
        headers,
        ...(s.b !== undefined ? { body: s.b } : {}),
      };
    });
}

// --- Keystone --------------------------------------------------------------------------------------------

export function keystone(fx: Fixtures): fc.Arbitrary<FuzzRequest> {
  const user = mutated({ id: fx.owner.id, password: 'wrong-password', domain: { id: 'default' } });
  const auth = mutated({ methods: ['password'], password: { user: {} } }).chain((identity) =>
    fc
      .tuple(user, mutated({ project: { id: fx.owner.id } }), fc.constantFrom('full', 'identity', 'top'))
      .map(([u, scope, depth]) => {
        if (depth === 'top') return identity;
        const id =
          typeof identity === 'object' && identity !== null && !Array.isArray(identity)
            ? { ...identity, password: { user: u } }
            : identity;
        return { auth: depth === 'full' ? { identity: id, scope } : { identity: id } };
      }),
  );
  const subject = fc.oneof(fc.constant(fx.tokens.stranger), weirdString);
  return fc.oneof(
    fc
      .tuple(auth, mostly('application/json'), fc.constantFrom('', '?nocatalog', '?x=%00'))
      .map(([body, ct, q]) => ({
        method: 'POST',
        path: `/identity/v3/auth/tokens${q}`,
        headers: { 'content-type': ct },
        body: json(body),
      })),
    fc
      .tuple(
        fc.constantFrom('GET', 'DELETE', 'HEAD'),
        subject,
        fc.constantFrom(fx.tokens.owner, fx.tokens.admin, ''),
      )
      .map(([m, s, tok]) => ({
        method: m,
        path: '/identity/v3/auth/tokens',
        headers: { 'x-subject-token': s, 'x-auth-token': tok },
      })),
    fc
      .tuple(
        fc.constantFrom('GET', 'POST'),
        fc.oneof(
          fc.constantFrom(
            '/identity/v3',
            '/identity/v3/auth/catalog',
            '/identity/v3/auth/projects',
            '/identity/v3/auth/domains',
            `/identity/v3/users/${fx.owner.id}`,
            `/identity/v3/users/${fx.owner.id}/projects`,
            `/identity/v3/projects/${fx.owner.id}`,
          ),
          weirdString.map((s) => `/identity/v3/${safeEncode(s)}`),
        ),
        fc.oneof(fc.constant(fx.tokens.owner), weirdString),
      )
      .map(([m, p, tok]) => ({ method: m, path: p, headers: { 'x-auth-token': tok } })),
  );
}

// --- Tencent API 3.0 -------------------------------------------------------------------------------------

const API3_ACTIONS = [
  'DescribeRegions',
  'ModifyImageSharePermission',
  'DescribeImageSharePermission',
  'DescribeImages',
  'ModifyImageAttribute',
  'DeleteImages',
  'SyncImages',
  'CreateImage',
  'DescribeImageQuota',
  'RunInstances',
  'DescribeInstances',
  'TerminateInstances',
];

/** Each API 3.0 action with parameters it accepts, then mutated (or, now and then, another action's). */
function api3Call(fx: Fixtures): fc.Arbitrary<[string, unknown]> {
  const imageId = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(fx.images.active, fx.images.shared, fx.images.queued, fx.images.abandoned),
    },
    { weight: 1, arbitrary: weirdString },
  );
  const valid = (i: string): Array<[string, Record<string, unknown>]> => [
    ['DescribeRegions', {}],
    ['ModifyImageSharePermission', { ImageId: i, AccountIds: [fx.stranger.id], Permission: 'SHARE' }],
    ['DescribeImageSharePermission', { ImageId: i }],
    ['DescribeImages', { ImageIds: [i], Limit: 10, Offset: 0 }],
    ['DescribeImages', { Filters: [{ Name: 'image-type', Values: ['PRIVATE_IMAGE'] }], InstanceType: 'S1' }],
    ['ModifyImageAttribute', { ImageId: i, ImageName: 'n', ImageDescription: 'd' }],
    ['DeleteImages', { ImageIds: [i], DryRun: true }],
    ['SyncImages', { ImageIds: [i], DestinationRegions: ['ap-shanghai'], DryRun: true }],
    ['CreateImage', { InstanceId: 'ins-00000000', ImageName: 'c' }],
    ['DescribeImageQuota', {}],
    [
      'RunInstances',
      { ImageId: i, InstanceCount: 1, InstanceName: 'x', Placement: { Zone: 'ap-guangzhou-1' } },
    ],
    ['DescribeInstances', { InstanceIds: ['ins-00000000'], Limit: 5 }],
    ['TerminateInstances', { InstanceIds: ['ins-00000000'] }],
  ];
  return imageId.chain((i) =>
    fc
      .constantFrom(...valid(i))
      .chain(([action, params]) =>
        fc.tuple(
          fc.oneof(
            { weight: 8, arbitrary: fc.constant(action) },
            { weight: 1, arbitrary: fc.constantFrom(...API3_ACTIONS) },
            { weight: 1, arbitrary: weirdString },
          ),
          mutated(params),
        ),
      ),
  );
}

export function tencentApi3(fx: Fixtures): fc.Arbitrary<FuzzRequest> {
  const region = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('ap-guangzhou', 'ap-shanghai', undefined) },
    { weight: 1, arbitrary: weirdString },
  );
  const version = fc.oneof(
    { weight: 5, arbitrary: fc.constant('2017-03-12') },
    { weight: 1, arbitrary: weirdString },
  );
  const clean = withoutControls;
  return fc
    .tuple(
      api3Call(fx),
      region,
      version,
      fc.constantFrom('signed', 'signed', 'signed', 'unsigned', 'garbage-auth'),
      weirdString,
      fc.constantFrom('POST', 'POST', 'GET'),
    )
    .map(([[a, params], r, v, mode, junk, method]): FuzzRequest => {
      const headers: Record<string, string> = { 'x-tc-action': clean(a), 'x-tc-version': clean(v) };
      if (r !== undefined) headers['x-tc-region'] = clean(r);
      if (mode === 'garbage-auth') {
        headers.authorization = clean(
          `TC3-HMAC-SHA256 Credential=${fx.key.secretId}/${junk}, SignedHeaders=${junk}, Signature=${junk}`,
        );
        headers['x-tc-timestamp'] = clean(junk);
      }
      if (method === 'GET') {
        // Flattened parameters in the query, as the SDKs' GET does.
        const flat = flatten(params);
        const query = Object.entries(flat)
          .map(([k, val]) => `${safeEncode(k)}=${safeEncode(val)}`)
          .join('&');
        return {
          method,
          path: `/${query ? `?${query}` : ''}`,
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          sign: mode === 'signed' ? 'tc3' : null,
        };
      }
      return {
        method,
        path: '/',
        headers: { ...headers, 'content-type': 'application/json' },
        body: json(params),
        sign: mode === 'signed' ? 'tc3' : null,
      };
    });
}

/** `{ A: [{ B: 1 }] }` to `{ "A.0.B": "1" }`, as query strings and forms carry parameters. */
function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, prefix ? `${prefix}.${i}` : String(i), out));
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  else out[prefix || 'Value'] = String(value);
  return out;
}

// --- Tencent legacy --------------------------------------------------------------------------------------

/** Each legacy action with parameters it accepts (flattened as the API takes them). */
function legacyValid(fx: Fixtures, imageId: string): Array<[string, Record<string, string>]> {
  return [
    ['ShareImage', { imageId, 'uinList.0': fx.stranger.id }],
    ['CancelShareImage', { imageId, 'uinList.0': fx.stranger.id }],
    ['GetImageShareUinInfo', { 'imageIds.0': imageId }],
    ['DescribeImages', { imageType: '1', 'imageIds.0': imageId, offset: '0', limit: '10', status: '1' }],
    ['ModifyImageAttributes', { imageId, imageName: 'n', imageDescription: 'd' }],
    ['DeleteImages', { 'imageIds.0': imageId }],
    ['SyncCvmImage', { srcRegion: 'gz', 'imgIdList.0': imageId, 'dstRegion.0': 'sh' }],
  ];
}

export function tencentLegacy(fx: Fixtures): fc.Arbitrary<FuzzRequest> {
  const imageId = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(fx.images.active, fx.images.shared) },
    { weight: 1, arbitrary: weirdString },
  );
  const call = imageId.chain((i) =>
    fc
      .constantFrom(...legacyValid(fx, i))
      .chain(([action, params]) =>
        fc.tuple(
          fc.oneof({ weight: 6, arbitrary: fc.constant(action) }, { weight: 1, arbitrary: weirdString }),
          mutated({ ...params, Region: 'gz' }),
        ),
      ),
  );
  return fc
    .tuple(call, fc.constantFrom('GET', 'POST'), fc.constantFrom('signed', 'signed', 'signed', 'unsigned'))
    .map(([[a, p], method, mode]): FuzzRequest => {
      const flat: Record<string, string> = { Action: a };
      const source =
        typeof p === 'object' && p !== null && !Array.isArray(p) ? flatten(p) : { junk: String(p) };
      for (const [k, v] of Object.entries(source)) flat[k] = v;
      if (mode === 'signed')
        return { method, path: '/v2/index.php', headers: {}, sign: 'params', params: flat };
      const encoded = new URLSearchParams(flat).toString();
      return method === 'GET'
        ? { method, path: `/v2/index.php?${encoded}`, headers: {} }
        : {
            method,
            path: '/v2/index.php',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: encoded,
          };
    });
}

// --- Console API -----------------------------------------------------------------------------------------

export function consoleApi(fx: Fixtures): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(fx.images.active, fx.images.shared, fx.images.queued, fx.images.abandoned),
    },
    { weight: 1, arbitrary: weirdString.map(safeEncode) },
  );
  const groupId = fc.oneof(
    { weight: 3, arbitrary: fc.constant(fx.group) },
    { weight: 1, arbitrary: weirdString.map(safeEncode) },
  );
  const routes = fc.oneof(
    fc.record({
      m: fc.constant('POST'),
      p: fc.constant('/images'),
      b: mutated({
        region: 'ap-guangzhou',
        name: 'c',
        diskFormat: 'raw',
        containerFormat: 'bare',
        description: 'd',
      }),
    }),
    fc.record({
      m: fc.constant('PATCH'),
      p: id.map((i) => `/images/${i}`),
      b: mutated({ name: 'n', description: 'd', tags: ['t'], properties: { a: 'b' } }),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: id.map((i) => `/images/${i}/shares`),
      b: mutated({ accountIds: [fx.stranger.id] }),
    }),
    fc.record({
      m: fc.constant('DELETE'),
      p: fc.tuple(id, weirdString.map(safeEncode)).map(([i, a]) => `/images/${i}/shares/${a}`),
      b: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('DELETE'),
      p: id.map((i) => `/images/${i}/shares`),
      b: mutated({ accountIds: [fx.stranger.id] }),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: fc.constant('/instances'),
      b: mutated({ region: 'ap-guangzhou', imageId: fx.images.active, name: 'i', count: 1 }),
    }),
    fc.record({
      m: fc.constant('PUT'),
      p: fc.constant('/account/password'),
      b: mutated({ currentPassword: 'wrong-password', newPassword: 'another-one' }),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: fc.constant('/session'),
      b: mutated({ login: fx.owner.id, password: 'wrong-password' }),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'DELETE'),
      p: weirdString.map((s) => `/account/api-keys/${safeEncode(s)}`),
      b: fc.constant(undefined),
    }),
    // Lifecycle, copies, share terms and consent, groups, the launch policy, the inbox and webhooks.
    fc.record({
      m: fc.constant('POST'),
      p: id.map((i) => `/images/${i}/copy`),
      b: mutated({ targetRegion: 'ap-shanghai', name: 'copy' }),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: id.map((i) => `/images/${i}/deprecate`),
      b: soon().chain((t) => mutated({ replacementImageId: fx.images.active, obsoleteAt: t })),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: fc
        .tuple(id, fc.constantFrom('undeprecate', 'disable', 'enable'))
        .map(([i, a]) => `/images/${i}/${a}`),
      b: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: id.map((i) => `/recycle-bin/${i}/restore`),
      b: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: id.map((i) => `/images/${i}/shares`),
      b: soon().chain((t) =>
        mutated({ accountIds: [fx.stranger.id, fx.group], expiresAt: t, access: 'launch_and_copy' }),
      ),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: id.map((i) => `/images/${i}/shares/check`),
      b: mutated({ accountIds: [fx.stranger.id, fx.receiver.id, fx.group] }),
    }),
    fc.record({
      m: fc.constant('PUT'),
      p: fc
        .tuple(id, fc.constantFrom(fx.receiver.id, fx.stranger.id, fx.group))
        .map(([i, a]) => `/images/${i}/shares/${a}`),
      b: soon().chain((t) => mutated({ expiresAt: t, access: 'launch' })),
    }),
    fc.record({
      m: fc.constant('PUT'),
      p: fc.oneof(
        id.map((i) => `/images/${i}/consent`),
        fc.constant('/sharing-defaults'),
      ),
      b: mutated({ consent: 'launch' }),
    }),
    fc
      .record({
        m: fc.constantFrom('PUT', 'DELETE'),
        p: id.map((i) => `/shared/${i}`),
        b: mutated({ status: 'accepted' }),
      })
      .map((r) => (r.m === 'PUT' ? { ...r, p: `${r.p}/status` } : { ...r, b: undefined })),
    fc.record({
      m: fc.constantFrom('GET', 'POST'),
      p: fc.constant('/groups'),
      b: mutated({ name: 'g', description: 'd' }),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'PATCH', 'DELETE'),
      p: groupId.map((gr) => `/groups/${gr}`),
      b: mutated({ name: 'h', description: 'e' }),
    }),
    fc.record({
      m: fc.constant('POST'),
      p: groupId.map((gr) => `/groups/${gr}/members`),
      b: mutated({ accountIds: [fx.stranger.id] }),
    }),
    fc.record({
      m: fc.constant('DELETE'),
      p: fc
        .tuple(groupId, fc.constantFrom(fx.receiver.id, fx.stranger.id))
        .map(([gr, a]) => `/groups/${gr}/members/${a}`),
      b: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'PUT'),
      p: fc.constantFrom('/launch-policy', '/launch-audit'),
      b: mutated({ mode: 'enforce', allowedOwners: [fx.owner.id, fx.group] }),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'PUT', 'POST'),
      p: fc.oneof(
        fc.constantFrom('/inbox', '/inbox/unread', '/inbox/read-all'),
        weirdString.map((e) => `/inbox/${safeEncode(e)}`),
      ),
      b: mutated({ read: true }),
    }),
    fc.record({
      m: fc.constantFrom('GET', 'POST', 'DELETE'),
      p: fc.oneof(
        fc.constant('/webhooks'),
        weirdString.map((w) => `/webhooks/${safeEncode(w)}`),
        weirdString.map((w) => `/webhooks/${safeEncode(w)}/deliveries`),
      ),
      b: mutated({ url: 'https://hooks.example.com/x', description: 'd' }),
    }),
    fc.record({
      m: fc.constant('DELETE'),
      p: weirdString.map((i) => `/instances/${safeEncode(i)}`),
      b: fc.constant(undefined),
    }),
    fc.record({
      m: fc.constant('GET'),
      p: fc.oneof(
        fc.constantFrom('/images', '/instances', '/history', '/regions', '/account', '/session'),
        id.map((i) => `/images/${i}`),
        id.map((i) => `/shared/${i}`),
      ),
      b: fc.constant(undefined),
    }),
  );
  const query = fc.oneof(
    fc.constant(''),
    fc
      .tuple(fc.constantFrom('region', 'limit', 'marker', 'kind', 'x'), weirdString)
      .map(([k, v]) => `?${k}=${safeEncode(v)}`),
  );
  return fc
    .tuple(
      routes,
      query,
      fc.constantFrom('session', 'session', 'session', 'no-csrf', 'none'),
      contentTypes,
      fc.boolean(),
    )
    .map(([r, q, auth, ct, jsonType]): FuzzRequest => {
      const headers: Record<string, string> = {};
      if (auth !== 'none') headers.cookie = fx.console.cookie;
      if (auth === 'session') headers['x-csrf-token'] = fx.console.csrf;
      if (r.b !== undefined) headers['content-type'] = jsonType ? 'application/json' : ct;
      return {
        method: r.m,
        path: `/console/api/v1${r.p}${q}`,
        headers,
        ...(r.b !== undefined ? { body: json(r.b) } : {}),
      };
    });
}

export const SURFACES = {
  glance,
  keystone,
  'tencent-api3': tencentApi3,
  'tencent-legacy': tencentLegacy,
  console: consoleApi,
} as const;

export type SurfaceName = keyof typeof SURFACES;
