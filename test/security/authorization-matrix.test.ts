// The authorization matrix (issue 11): every route of every surface that names an image, called by every
// relation a caller can have to that image, on SQLite and PostgreSQL (one server per database).
//
// What is expected comes from the table below (ROWS), written from the rules as the docs state them, not read
// from the code under test: per route, what its owner gets, what the receiver of a share gets (pending,
// accepted and rejected alike: status decides listing, not access), and what anyone gets for an image that
// does not exist. Then, for every route:
//   - a caller who may not see the image (a removed receiver, a stranger, the owner through another region's
//     endpoint) gets an answer byte-identical to the one for a missing image: same status, same headers that
//     matter, same body once the image ID and request IDs are masked;
//   - a caller without valid credentials (none, an expired token or session, a disabled account) gets the
//     surface's authentication refusal, again identical to the one for a missing image.
// The route list is enumerated from the running server (Fastify's route tree, the Tencent action tables): a
// route or action added without a row here fails the first test.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { newImageId } from '../../src/domain/ids.js';
import { actions as api3Actions } from '../../src/http/tencent/api3/actions/index.js';
import { legacyActions } from '../../src/http/tencent/legacy/actions.js';
import type { RequestContext } from '../../src/services/context.js';
import { API, consoleLogin, type ConsoleLogin } from '../helpers/console.js';
import { forEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestAccount, type TestResponse, type TestServer } from '../helpers/server.js';
import { paramsRequest, tc3Request, type Key, type RawResponse } from '../helpers/tencent.js';

const HOME = 'ap-guangzhou';
const ELSEWHERE = 'ap-shanghai';
const PATCH_V21 = 'application/openstack-images-v2.1-json-patch';

/** Every relation of a caller to an image that the matrix tries. */
const WHO = [
  'owner',
  'admin',
  'pending',
  'accepted',
  'rejected',
  'removed',
  'stranger',
  'otherRegion',
  'anonymous',
  'expired',
  'disabled',
] as const;
type Who = (typeof WHO)[number];

/** Who sees the image, and as what (the expectation columns of a row). */
const SEES: Partial<Record<Who, 'owner' | 'admin' | 'receiver'>> = {
  owner: 'owner',
  admin: 'admin',
  pending: 'receiver',
  accepted: 'receiver',
  rejected: 'receiver',
};
/** May not see it: refused exactly as a missing image. */
const HIDDEN: readonly Who[] = ['removed', 'stranger', 'otherRegion'];
/** No valid credentials: the surface's authentication refusal. */
const UNAUTHENTICATED: readonly Who[] = ['anonymous', 'expired', 'disabled'];

type Surface = 'glance' | 'tencent' | 'tencent-v1' | 'legacy' | 'console';

/** What a call comes down to: 'ok', or the refusal (Glance: the status; others: the error code). */
type Outcome = string;

interface Credentials {
  accountId: string;
  token?: string;
  key?: Key;
  session?: ConsoleLogin;
  /** Tencent: sign with a timestamp outside the allowed skew. */
  stale?: boolean;
}

interface Call {
  image: string;
  /** The member a member route names: the caller itself for receivers and strangers, else `accepted`. */
  member: string;
  /** An account that is nobody's member yet (share targets). */
  spare: string;
  region: string;
  creds: Credentials | null;
}

/** One answer, reduced to what must be identical between an invisible and a missing image. */
interface Answer {
  outcome: Outcome;
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Row {
  surface: Surface;
  /** `METHOD /path` as Fastify routes it, or the Tencent action. */
  route: string;
  owner: Outcome;
  /** Defaults to the owner's outcome (admins may do what owners may). */
  admin?: Outcome;
  receiver: Outcome;
  missing: Outcome;
  /** The call changes the image or its shares: each seeing caller gets a fresh image. */
  mutates?: boolean;
  /** The image starts without data (uploads); default active with data. */
  queued?: boolean;
  /** Tencent API 3.0: the action's parameters (sent as JSON with TC3, or flat with the v1 signature). */
  params?: (call: Call) => Record<string, unknown>;
  send(t: TestServer, call: Call): Promise<Answer>;
}

// ---------------------------------------------------------------------------------------------------------
// How each surface is called and its answer reduced.

const MATTERING_HEADERS = [
  'content-type',
  'content-length',
  'www-authenticate',
  'allow',
  'retry-after',
  'content-range',
  'location',
  'accept-patch',
  'set-cookie',
];

function answerOf(res: TestResponse, outcome: Outcome): Answer {
  const headers: Record<string, string> = {};
  for (const name of MATTERING_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { outcome, status: res.status, headers, body: res.text };
}

function glanceRow(
  method: string,
  path: string,
  expect: Pick<Row, 'owner' | 'admin' | 'receiver' | 'missing' | 'mutates' | 'queued'>,
  body?: (call: Call) => { body: unknown; contentType?: string },
): Row {
  return {
    surface: 'glance',
    route: `${method} ${path}`,
    ...expect,
    async send(t, call) {
      const prefix = call.region === HOME ? '' : `/regions/${call.region}`;
      const url =
        prefix + path.replace(':id', call.image).replace(':memberId', call.member).replace(':tag', 't1');
      const b = body?.(call);
      const res = await t.request(method, url, {
        ...(call.creds?.token ? { token: call.creds.token } : {}),
        ...(b ? { body: b.body } : {}),
        headers: { accept: 'application/json', ...(b?.contentType ? { 'content-type': b.contentType } : {}) },
      });
      return answerOf(res, res.status < 300 ? 'ok' : String(res.status));
    },
  };
}

function consoleRow(
  method: string,
  path: string,
  expect: Pick<Row, 'owner' | 'admin' | 'receiver' | 'missing' | 'mutates' | 'queued'>,
  body?: (call: Call) => { body: unknown; contentType?: string },
): Row {
  return {
    surface: 'console',
    route: `${method} ${API}${path}`,
    ...expect,
    async send(t, call) {
      const url = `${API}${path.replace(/:id|:imageId/, call.image).replace(':accountId', call.member)}`;
      const b = body?.(call);
      const session = call.creds?.session;
      const res = await t.request(method, `${url}${url.includes('?') ? '&' : '?'}region=${call.region}`, {
        ...(b ? { body: b.body } : {}),
        headers: {
          ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrf } : {}),
          ...(b?.contentType ? { 'content-type': b.contentType } : {}),
        },
      });
      // HEAD has no body to carry the code: its outcome is the status, as for GET (CONSOLE_STATUS).
      const error = (res.body as { error?: { code: string } } | undefined)?.error;
      return answerOf(res, res.status < 300 ? 'ok' : (error?.code ?? String(res.status)));
    },
  };
}

function tencentAnswer(res: RawResponse, outcome: Outcome): Answer {
  const { RequestId: _requestId, ...rest } = res.body.Response;
  return {
    outcome,
    status: res.status,
    headers: { 'content-type': res.contentType ?? '' },
    body: JSON.stringify(rest),
  };
}

/** An API 3.0 action, TC3-signed as the SDKs sign it. */
function tencentRow(
  action: string,
  expect: Pick<Row, 'owner' | 'admin' | 'receiver' | 'missing' | 'mutates' | 'queued'>,
  params: (call: Call) => Record<string, unknown>,
): Row {
  return {
    surface: 'tencent',
    route: action,
    ...expect,
    params,
    async send(t, call) {
      const body = JSON.stringify(params(call));
      const key = call.creds?.key ?? { secretId: `AKID${'0'.repeat(32)}`, secretKey: 'x'.repeat(32) };
      const res = await tc3Request(t.url, key, {
        action,
        body,
        region: call.region,
        ...(call.creds?.stale ? { timestamp: Math.floor(Date.now() / 1000) - 3600 } : {}),
        ...(call.creds ? {} : { extraHeaders: { authorization: '' } }),
      });
      return tencentAnswer(res, res.body.Response.Error?.Code ?? 'ok');
    },
  };
}

/** Tencent's flat parameter names for a JSON body: `{ImageIds: ['a']}` -> `{'ImageIds.0': 'a'}`. */
function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}.${i}`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = String(value);
  return out;
}

/** The same API 3.0 action through its other way in: a form POST / signed with the Signature parameter. */
function tencentV1Row(row: Row, params: (call: Call) => Record<string, unknown>): Row {
  return {
    ...row,
    surface: 'tencent-v1',
    async send(t, call) {
      const all = { Action: row.route, Version: '2017-03-12', Region: call.region, ...flatten(params(call)) };
      let res: RawResponse;
      if (call.creds?.key) {
        res = await paramsRequest(t.url, call.creds.key, all, {
          ...(call.creds.stale ? { timestamp: Math.floor(Date.now() / 1000) - 3600 } : {}),
        });
      } else {
        const r = await t.request('POST', '/', {
          body: new URLSearchParams(all).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        res = {
          status: r.status,
          contentType: r.headers.get('content-type'),
          body: r.body as RawResponse['body'],
        };
      }
      return tencentAnswer(res, res.body.Response.Error?.Code ?? 'ok');
    },
  };
}

/** A legacy v2 action at /v2/index.php, with the Signature parameter. */
function legacyRow(
  action: string,
  expect: Pick<Row, 'owner' | 'admin' | 'receiver' | 'missing' | 'mutates' | 'queued'>,
  params: (call: Call) => Record<string, string>,
): Row {
  return {
    surface: 'legacy',
    route: action,
    ...expect,
    async send(t, call) {
      const all = { Action: action, Region: call.region === HOME ? 'gz' : 'sh', ...params(call) };
      let res: RawResponse;
      if (call.creds?.key) {
        res = await paramsRequest(t.url, call.creds.key, all, {
          path: '/v2/index.php',
          ...(call.creds.stale ? { timestamp: Math.floor(Date.now() / 1000) - 3 * 3600 } : {}),
        });
      } else {
        const r = await t.request('GET', `/v2/index.php?${new URLSearchParams(all).toString()}`);
        res = {
          status: r.status,
          contentType: r.headers.get('content-type'),
          body: r.body as RawResponse['body'],
        };
      }
      const legacy = res.body as unknown as {
        code: number;
        codeDesc: string;
        detail?: Record<string, { code: number; codeDesc?: string }>;
      };
      // DeleteImages answers per image in `detail`; its outer code only counts failures.
      const detail = legacy.detail ? Object.values(legacy.detail)[0] : undefined;
      const outcome = detail
        ? detail.code === 0
          ? 'ok'
          : (detail.codeDesc ?? String(detail.code))
        : legacy.code === 0
          ? 'ok'
          : legacy.codeDesc;
      const { RequestId: _r, requestId: _q, ...rest } = res.body as unknown as Record<string, unknown>;
      return {
        outcome,
        status: res.status,
        headers: { 'content-type': res.contentType ?? '' },
        body: JSON.stringify(rest),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The table. Owners of a shared image may do everything but delete it while shared (409 / InShared); receivers
// may read, download, launch and leave, and read their own member row; everything else is refused to them
// with a reason; admins may do what owners may. Refusals to receivers come from the domain's NotImageOwner
// (SharedImageModifyUnsupported for Tencent renames).

const NOT_OWNER = 'UnauthorizedOperation.ImageNotBelongToAccount';
/** How each surface refuses a caller without valid credentials (a legacy call without them lacks parameters). */
const UNAUTHENTICATED_OUTCOME: Record<Surface, RegExp> = {
  glance: /^401$/,
  console: /^(Unauthenticated|401)$/,
  tencent: /^AuthFailure\./,
  'tencent-v1': /^(AuthFailure\.|MissingParameter$)/,
  legacy: /^(AuthFailure\.|MissingParameter$)/,
};
/**
 * Refusals that mean "only the owner may": to a receiver, each says so in the domain's one wording, whatever
 * the surface (issue 11, consistent refusals).
 */
const OWNER_ONLY_REFUSALS = new Set([
  '403',
  NOT_OWNER,
  'UnsupportedOperation.SharedImageModifyUnsupported',
  'InvalidParameterValue.InvalidImageIdIsShared',
  'NotImageOwner',
  'SharedImageModifyUnsupported',
]);
const SHARED_WITH_YOU =
  /You do not own this image: image img-[a-z0-9]{8} is shared with you, and only its owner may [a-z]/;
/** The console's statuses of the codes its rows expect, for HEAD (which has no body to carry the code). */
const CONSOLE_STATUS: Record<string, string> = { ok: 'ok', ImageNotFound: '404', NotImageOwner: '403' };
const NOT_FOUND = 'InvalidImageId.NotFound';
const json = (value: unknown) => () => ({ body: value });

const ROWS: Row[] = [
  // --- OpenStack Image API v2 ---
  glanceRow('GET', '/v2/images/:id', { owner: 'ok', receiver: 'ok', missing: '404' }),
  glanceRow(
    'PATCH',
    '/v2/images/:id',
    { owner: 'ok', receiver: '403', missing: '404', mutates: true },
    () => ({
      body: JSON.stringify([{ op: 'replace', path: '/name', value: 'renamed' }]),
      contentType: PATCH_V21,
    }),
  ),
  glanceRow('DELETE', '/v2/images/:id', { owner: '409', receiver: '403', missing: '404', mutates: true }),
  glanceRow('PUT', '/v2/images/:id/tags/:tag', {
    owner: 'ok',
    receiver: '403',
    missing: '404',
    mutates: true,
  }),
  glanceRow('DELETE', '/v2/images/:id/tags/:tag', {
    owner: 'ok',
    receiver: '403',
    missing: '404',
    mutates: true,
  }),
  glanceRow('POST', '/v2/images/:id/actions/deactivate', {
    owner: 'ok',
    receiver: '403',
    missing: '404',
    mutates: true,
  }),
  glanceRow('POST', '/v2/images/:id/actions/reactivate', {
    owner: 'ok',
    receiver: '403',
    missing: '404',
    mutates: true,
  }),
  // Lifecycle (issue 12): owner-only; restore finds only binned images (a live one is not in the bin).
  glanceRow(
    'POST',
    '/v2/images/:id/actions/deprecate',
    { owner: 'ok', receiver: '403', missing: '404', mutates: true },
    () => ({ body: { obsolete_at: new Date(Date.now() + 30 * 24 * 3600_000).toISOString() } }),
  ),
  ...(['undeprecate', 'disable', 'enable'] as const).map((action) =>
    glanceRow('POST', `/v2/images/:id/actions/${action}`, {
      owner: 'ok',
      receiver: '403',
      missing: '404',
      mutates: true,
    }),
  ),
  glanceRow('POST', '/v2/images/:id/actions/restore', {
    owner: '404',
    receiver: '404',
    missing: '404',
    mutates: true,
  }),
  glanceRow('GET', '/v2/images/:id/file', { owner: 'ok', receiver: 'ok', missing: '404' }),
  glanceRow(
    'PUT',
    '/v2/images/:id/file',
    { owner: 'ok', receiver: '403', missing: '404', mutates: true, queued: true },
    () => ({ body: Buffer.from('new data'), contentType: 'application/octet-stream' }),
  ),
  glanceRow('GET', '/v2/images/:id/members', { owner: 'ok', receiver: 'ok', missing: '404' }),
  glanceRow(
    'POST',
    '/v2/images/:id/members',
    { owner: 'ok', receiver: '403', missing: '404', mutates: true },
    (call) => ({ body: { member: call.spare } }),
  ),
  glanceRow('GET', '/v2/images/:id/members/:memberId', { owner: 'ok', receiver: 'ok', missing: '404' }),
  // Only the member sets its status (admins may too): the owner is refused.
  glanceRow(
    'PUT',
    '/v2/images/:id/members/:memberId',
    { owner: '403', admin: 'ok', receiver: 'ok', missing: '404', mutates: true },
    json({ status: 'accepted' }),
  ),
  // The pre-flight extension: only the owner asks whether a share would succeed.
  glanceRow(
    'POST',
    '/v2/images/:id/members-preflight',
    { owner: 'ok', receiver: '403', missing: '404' },
    (call) => ({ body: { members: [call.spare] } }),
  ),
  // The owner removes a member; as in Glance, a receiver cannot remove itself (it may reject the share).
  glanceRow('DELETE', '/v2/images/:id/members/:memberId', {
    owner: 'ok',
    receiver: '403',
    missing: '404',
    mutates: true,
  }),

  // --- Tencent API 3.0 ---
  // A list: an image the caller may not see is simply not in it (identical to a missing one).
  tencentRow('DescribeImages', { owner: 'ok', receiver: 'ok', missing: 'ok' }, (c) => ({
    ImageIds: [c.image],
    Limit: 10,
  })),
  tencentRow(
    'ModifyImageSharePermission',
    { owner: 'ok', receiver: NOT_OWNER, missing: NOT_FOUND, mutates: true },
    (c) => ({ ImageId: c.image, AccountIds: [c.spare], Permission: 'SHARE' }),
  ),
  tencentRow('DescribeImageSharePermission', { owner: 'ok', receiver: 'ok', missing: NOT_FOUND }, (c) => ({
    ImageId: c.image,
  })),
  tencentRow(
    'ModifyImageAttribute',
    {
      owner: 'ok',
      receiver: 'UnsupportedOperation.SharedImageModifyUnsupported',
      missing: NOT_FOUND,
      mutates: true,
    },
    (c) => ({ ImageId: c.image, ImageName: 'renamed' }),
  ),
  tencentRow(
    'DeleteImages',
    {
      owner: 'InvalidImageId.InShared',
      receiver: 'InvalidParameterValue.InvalidImageIdIsShared',
      missing: NOT_FOUND,
      mutates: true,
    },
    (c) => ({ ImageIds: [c.image] }),
  ),
  // Owners copy to other regions; a receiver copies nothing unless its share grants copies (the fixture's
  // shares do not), whatever the target region.
  tencentRow(
    'SyncImages',
    { owner: 'ok', receiver: 'UnauthorizedOperation.CopyNotGranted', missing: NOT_FOUND },
    (c) => ({ ImageIds: [c.image], DestinationRegions: [c.region === HOME ? ELSEWHERE : HOME] }),
  ),
  tencentRow('RunInstances', { owner: 'ok', receiver: 'ok', missing: NOT_FOUND }, (c) => ({
    ImageId: c.image,
  })),

  // --- Tencent legacy v2 ---
  legacyRow('ShareImage', { owner: 'ok', receiver: NOT_OWNER, missing: NOT_FOUND, mutates: true }, (c) => ({
    imageId: c.image,
    'uinList.0': c.spare,
  })),
  legacyRow(
    'CancelShareImage',
    { owner: 'ok', receiver: NOT_OWNER, missing: NOT_FOUND, mutates: true },
    (c) => ({ imageId: c.image, 'uinList.0': c.member }),
  ),
  legacyRow('GetImageShareUinInfo', { owner: 'ok', receiver: 'ok', missing: NOT_FOUND }, (c) => ({
    'imageIds.0': c.image,
  })),
  legacyRow('DescribeImages', { owner: 'ok', receiver: 'ok', missing: 'ok' }, (c) => ({
    imageType: '1',
    'imageIds.0': c.image,
  })),
  legacyRow(
    'ModifyImageAttributes',
    {
      owner: 'ok',
      receiver: 'UnsupportedOperation.SharedImageModifyUnsupported',
      missing: NOT_FOUND,
      mutates: true,
    },
    (c) => ({ imageId: c.image, imageName: 'renamed' }),
  ),
  legacyRow(
    'DeleteImages',
    {
      owner: 'InvalidImageId.InShared',
      receiver: 'InvalidParameterValue.InvalidImageIdIsShared',
      missing: NOT_FOUND,
      mutates: true,
    },
    (c) => ({ 'imageIds.0': c.image }),
  ),
  legacyRow(
    'SyncCvmImage',
    { owner: 'ok', receiver: 'UnauthorizedOperation.CopyNotGranted', missing: NOT_FOUND },
    (c) => ({
      srcRegion: c.region === HOME ? 'gz' : 'sh',
      'imgIdList.0': c.image,
      'dstRegion.0': c.region === HOME ? 'sh' : 'gz',
    }),
  ),

  // --- the console API ---
  consoleRow('GET', '/images/:id', { owner: 'ok', receiver: 'ok', missing: 'ImageNotFound' }),
  consoleRow(
    'PATCH',
    '/images/:id',
    { owner: 'ok', receiver: 'SharedImageModifyUnsupported', missing: 'ImageNotFound', mutates: true },
    json({ name: 'renamed' }),
  ),
  consoleRow('DELETE', '/images/:id', {
    owner: 'ImageInShared',
    receiver: 'NotImageOwner',
    missing: 'ImageNotFound',
    mutates: true,
  }),
  consoleRow(
    'POST',
    '/images/:id/deprecate',
    { owner: 'ok', receiver: 'NotImageOwner', missing: 'ImageNotFound', mutates: true },
    () => ({ body: { obsoleteAt: new Date(Date.now() + 30 * 24 * 3600_000).toISOString() } }),
  ),
  ...(['undeprecate', 'disable', 'enable'] as const).map((action) =>
    consoleRow('POST', `/images/:id/${action}`, {
      owner: 'ok',
      receiver: 'NotImageOwner',
      missing: 'ImageNotFound',
      mutates: true,
    }),
  ),
  consoleRow('POST', '/recycle-bin/:id/restore', {
    owner: 'ImageNotFound',
    receiver: 'ImageNotFound',
    missing: 'ImageNotFound',
    mutates: true,
  }),
  consoleRow(
    'PUT',
    '/images/:id/file',
    { owner: 'ok', receiver: 'NotImageOwner', missing: 'ImageNotFound', mutates: true, queued: true },
    () => ({ body: Buffer.from('new data'), contentType: 'application/octet-stream' }),
  ),
  consoleRow(
    'POST',
    '/images/:id/copy',
    { owner: 'ok', receiver: 'CopyNotGranted', missing: 'ImageNotFound' },
    (c) => ({ body: { targetRegion: c.region === HOME ? ELSEWHERE : HOME } }),
  ),
  consoleRow('GET', '/images/:id/shares', {
    owner: 'ok',
    receiver: 'NotImageOwner',
    missing: 'ImageNotFound',
  }),
  consoleRow(
    'POST',
    '/images/:id/shares',
    { owner: 'ok', receiver: 'NotImageOwner', missing: 'ImageNotFound', mutates: true },
    (c) => ({ body: { accountIds: [c.spare] } }),
  ),
  consoleRow('DELETE', '/images/:id/shares', {
    owner: 'ok',
    receiver: 'NotImageOwner',
    missing: 'ImageNotFound',
    mutates: true,
  }),
  consoleRow('DELETE', '/images/:id/shares/:accountId', {
    owner: 'ok',
    receiver: 'NotImageOwner',
    missing: 'ImageNotFound',
    mutates: true,
  }),
  consoleRow(
    'POST',
    '/images/:id/shares/check',
    { owner: 'ok', receiver: 'NotImageOwner', missing: 'ImageNotFound' },
    (c) => ({ body: { accountIds: [c.spare] } }),
  ),
  consoleRow(
    'PUT',
    '/images/:id/shares/:accountId',
    { owner: 'ok', receiver: 'NotImageOwner', missing: 'ImageNotFound', mutates: true },
    json({ access: 'launch_and_copy' }),
  ),
  consoleRow(
    'PUT',
    '/images/:id/consent',
    { owner: 'ok', receiver: 'NotImageOwner', missing: 'ImageNotFound', mutates: true },
    json({ consent: 'launch' }),
  ),
  // The receiver's side: only a member accepts, rejects or leaves (the owner and an admin are no member).
  consoleRow(
    'PUT',
    '/shared/:imageId/status',
    { owner: 'MemberNotFound', receiver: 'ok', missing: 'ImageNotFound', mutates: true },
    json({ status: 'accepted' }),
  ),
  consoleRow('DELETE', '/shared/:imageId', {
    owner: 'Forbidden',
    admin: 'MemberNotFound',
    receiver: 'ok',
    missing: 'ImageNotFound',
    mutates: true,
  }),
  consoleRow('POST', '/instances', { owner: 'ok', receiver: 'ok', missing: 'ImageNotFound' }, (c) => ({
    body: { region: c.region, imageId: c.image, name: 'vm' },
  })),
];

// API 3.0 has two ways in, the same actions behind both.
ROWS.push(
  ...ROWS.filter((r) => r.surface === 'tencent').map((r) =>
    tencentV1Row(r, r.params as (call: Call) => Record<string, unknown>),
  ),
);

/**
 * Routes that name no image, and why they are not in the matrix (a key ending in `*` covers every path that
 * starts with the rest). Any other route must have a row.
 */
const NOT_ABOUT_AN_IMAGE: Record<string, string> = {
  '/': 'version discovery; POST / and GET /?Action= are Tencent API 3.0 (its actions are checked below)',
  '/healthz': 'health check',
  '/readyz': 'readiness check',
  '/versions': 'version discovery',
  '/v2/schemas/*': 'JSON schemas, the same for everyone',
  '/v2/images': 'list (test/services/visibility-agreement.test.ts) and create',
  '/v2/images/': "the trailing-slash path names no image (Glance's 404)",
  '/v2/recycle-bin/images': "the caller's own recycle bin (test/image-lifecycle.test.ts)",
  '/v2/info/*': 'import methods and stores',
  '/v2/groups*': "the caller's own account groups; another's is 404 (test/glance-groups.test.ts)",
  '/v2/account/*': "the caller's own launch policy and its audit records (test/guardrails.test.ts)",
  '/v2/index.php': 'Tencent legacy actions (checked below)',
  '/identity*': 'Keystone: tokens, catalog, projects, users and domains of the caller (test/keystone/)',
  '/console/api/v1/openapi.json': 'the API document',
  '/console/api/v1/session': 'log in and out',
  '/console/api/v1/account*': "the caller's own account, password and keys",
  '/console/api/v1/regions': 'region list',
  '/console/api/v1/sharing-defaults': "the caller's own default consent for its images",
  '/console/api/v1/images': 'list (the catalog) and create',
  '/console/api/v1/instances': "list of one's own instances; POST (a launch) has a row",
  '/console/api/v1/instances/:id': "terminating one's own instance",
  '/console/api/v1/history': "the caller's own history (test/console/history.test.ts)",
  '/console/api/v1/groups*': "the caller's own account groups (test/console/e2e-groups.test.ts)",
  '/console/api/v1/recycle-bin': "the caller's own recycle bin (test/image-lifecycle.test.ts)",
  '/console/api/v1/launch-policy': "the caller's own launch policy (test/guardrails.test.ts)",
  '/console/api/v1/launch-audit': "the caller's own launch audit records (test/guardrails.test.ts)",
  '/v2/inbox*': "the caller's own inbox (test/notifications/notifications.test.ts)",
  '/v2/webhooks*': "the caller's own webhooks (test/notifications/notifications.test.ts)",
  '/console/api/v1/inbox*': "the caller's own inbox (test/console/e2e-inbox.test.ts)",
  '/console/api/v1/webhooks*': "the caller's own webhooks (test/console/e2e-inbox.test.ts)",
  '/console': 'redirect to /console/',
  '/console/': 'the built browser app',
  '/console/index.html': 'the built browser app',
  '/console/*': 'the built browser app',
};

function notAboutAnImage(path: string): boolean {
  return Object.keys(NOT_ABOUT_AN_IMAGE).some((p) =>
    p.endsWith('*') && p !== '/console/*' ? path.startsWith(p.slice(0, -1)) : path === p,
  );
}

/** Tencent actions that name no image. */
const ACTIONS_WITHOUT_IMAGE = [
  'DescribeRegions',
  'CreateImage', // from an instance of one's own
  'DescribeImageQuota',
  'DescribeInstances',
  'TerminateInstances',
];

/** Each Glance path with the methods the table covers; every other method must answer 405 to everyone. */
const glancePaths = new Map<string, Set<string>>();
for (const row of ROWS.filter((r) => r.surface === 'glance')) {
  const [method, path] = row.route.split(' ') as [string, string];
  if (!glancePaths.has(path)) glancePaths.set(path, new Set());
  glancePaths.get(path)?.add(method);
}

/** `METHOD /path` of every route the server has, from Fastify's route tree. */
function serverRoutes(t: TestServer): Set<string> {
  const tree = t.server.app.printRoutes({ commonPrefix: false });
  const found = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│├└─\s]*)(\S+) \(([A-Z, ]+)\)/u.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack[depth] = `${depth > 1 ? (stack[depth - 1] ?? '') : ''}${m[2] as string}`;
    for (const method of (m[3] as string).split(', ')) found.add(`${method} ${stack[depth]}`);
  }
  return found;
}

/** The same route for every region's endpoint: `/regions/<name>/v2/...` -> `/v2/...`. */
function withoutRegion(path: string): string {
  return path.replace(/^\/regions\/[^/]+(?=\/|$)/, '') || '/';
}

/** Masks what may differ between two answers that must be identical: the image ID and request IDs. */
function masked(answer: Answer, image: string): Answer {
  const mask = (s: string) =>
    s
      .split(image)
      .join('<image>')
      .replace(/"(RequestId|requestId)":"[^"]*",?/g, '');
  return {
    ...answer,
    body: mask(answer.body),
    headers: Object.fromEntries(Object.entries(answer.headers).map(([k, v]) => [k, mask(v)])),
  };
}

// ---------------------------------------------------------------------------------------------------------

forEachDatabase((target) => {
  describe(`authorization matrix on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    const accounts = {} as Record<Who | 'spare', TestAccount>;
    const creds = {} as Record<Who, Credentials | null>;
    const counts = { cases: 0, refused: 0, serverErrors: 0 };

    const ctxOf = (account: TestAccount, region = HOME): RequestContext => ({
      caller: { accountId: account.id, isAdmin: account.isAdmin },
      region,
      surface: 'openstack',
    });

    /**
     * A shared image of `owner` with a pending, an accepted, a rejected and a removed receiver, tag t1. The
     * caller whose login expired is an accepted receiver too: what refuses it is its credentials, not its
     * relation. (The disabled account cannot be: a disabled account is no share target.)
     */
    async function fixture(queued = false): Promise<string> {
      const s = t.server.services;
      const owner = ctxOf(accounts.owner);
      const image = await s.images.create(owner, {
        name: 'matrix',
        diskFormat: 'raw',
        containerFormat: 'bare',
        visibility: 'shared',
      });
      if (!queued) await s.images.upload(owner, image.id, Readable.from([Buffer.from('matrix data')]));
      await s.images.addTag(owner, image.id, 't1');
      const receivers = [accounts.pending, accounts.accepted, accounts.rejected, accounts.removed];
      receivers.push(accounts.expired);
      await s.shares.shareWith(
        owner,
        image.id,
        receivers.map((a) => a.id),
      );
      for (const who of ['accepted', 'expired'] as const) {
        await s.shares.setMemberStatus(ctxOf(accounts[who]), image.id, accounts[who].id, 'accepted');
      }
      await s.shares.setMemberStatus(ctxOf(accounts.rejected), image.id, accounts.rejected.id, 'rejected');
      await s.shares.cancelShares(owner, image.id, [accounts.removed.id]);
      return image.id;
    }

    function callFor(who: Who, image: string): Call {
      const self = accounts[who === 'otherRegion' ? 'owner' : who];
      const memberOfSelf =
        SEES[who] === 'receiver' ||
        (who !== 'owner' && who !== 'admin' && who !== 'otherRegion' && who !== 'anonymous');
      return {
        image,
        member: memberOfSelf ? self.id : accounts.accepted.id,
        spare: accounts.spare.id,
        region: who === 'otherRegion' ? ELSEWHERE : HOME,
        creds: creds[who],
      };
    }

    before(async () => {
      t = await startTestServer({ target });
      for (const who of WHO) {
        if (who === 'admin') accounts.admin = t.admin;
        else if (who === 'otherRegion') continue;
        else accounts[who] = await t.createAccount();
      }
      accounts.otherRegion = accounts.owner;
      accounts.spare = await t.createAccount();
      const s = t.server.services;
      const withAll = async (account: TestAccount): Promise<Credentials> => ({
        accountId: account.id,
        token: await t.token(account),
        key: await s.apiKeys.create(account.id),
        session: await consoleLogin(t, account),
      });
      for (const who of WHO) {
        if (who === 'anonymous') creds.anonymous = null;
        else if (who === 'otherRegion') continue;
        else creds[who] = await withAll(accounts[who]);
      }
      creds.otherRegion = creds.owner;
      // Expired: the token and session lapse (as time would do it); Tencent signatures are an hour old.
      const kysely = t.server.db.kysely;
      const past = new Date(Date.now() - 60_000).toISOString();
      await sql`update tokens set expires_at = ${past} where account_id = ${accounts.expired.id}`.execute(
        kysely,
      );
      await sql`update console_sessions set expires_at = ${past} where account_id = ${accounts.expired.id}`.execute(
        kysely,
      );
      (creds.expired as Credentials).stale = true;
      // Disabled after its credentials were issued.
      await s.accounts.disable(accounts.disabled.id);
    });

    after(async () => {
      await t.close();
      console.log(
        `authorization matrix on ${target.dialect}: ${counts.cases} cases, ${counts.refused} refused, ` +
          `${counts.serverErrors} 5xx`,
      );
    });

    it('every route that names an image has a row (routes enumerated from the server)', () => {
      const routes = serverRoutes(t);
      assert.ok(routes.has('GET /v2/images/:id') && routes.has(`GET /regions/${ELSEWHERE}/v2/images/:id`));
      assert.ok(routes.has(`DELETE ${API}/images/:id/shares/:accountId`), 'the route tree was read');
      const covered = new Set(ROWS.filter((r) => r.surface === 'console').map((r) => r.route));
      const missing: string[] = [];
      for (const route of routes) {
        const [method, rawPath] = route.split(' ') as [string, string];
        const path = withoutRegion(rawPath);
        if (glancePaths.has(path)) continue; // every method of an image path: a row, or 405 (below)
        if (covered.has(`${method} ${path}`)) continue;
        if (method === 'HEAD' && covered.has(`GET ${path}`)) continue;
        if (!notAboutAnImage(path)) missing.push(route);
      }
      assert.deepEqual(missing, [], 'routes without a row in the authorization matrix');

      const actionRows = (surface: Surface) => ROWS.filter((r) => r.surface === surface).map((r) => r.route);
      assert.deepEqual(
        Object.keys(api3Actions)
          .filter((a) => !ACTIONS_WITHOUT_IMAGE.includes(a))
          .sort(),
        actionRows('tencent').sort(),
        'Tencent API 3.0 actions without a row',
      );
      assert.deepEqual(
        Object.keys(legacyActions).sort(),
        actionRows('legacy').sort(),
        'legacy actions without a row',
      );
    });

    /** Runs one row for every relation; returns the failures as sentences. */
    async function runRow(row: Row): Promise<string[]> {
      const failures: string[] = [];
      const ghost = newImageId();
      let shared: string | null = null;
      const imageFor = async (who: Who) => {
        if (row.mutates && SEES[who]) return fixture(row.queued);
        shared ??= await fixture(row.queued);
        return shared;
      };
      for (const who of WHO) {
        const image = await imageFor(who);
        const answer = await row.send(t, callFor(who, image));
        counts.cases += 1;
        if (answer.outcome !== 'ok') counts.refused += 1;
        if (answer.status >= 500) counts.serverErrors += 1;
        const label = `${row.surface} ${row.route} as ${who}`;
        const seeing = SEES[who];
        if (seeing) {
          const expected = seeing === 'admin' ? (row.admin ?? row.owner) : row[seeing];
          if (answer.outcome !== expected) {
            failures.push(
              `${label}: expected ${expected}, got ${answer.outcome} (${answer.status} ${answer.body.slice(0, 200)})`,
            );
          }
          const saysWhy = answer.body === '' || SHARED_WITH_YOU.test(answer.body);
          if (seeing === 'receiver' && OWNER_ONLY_REFUSALS.has(answer.outcome) && !saysWhy) {
            failures.push(
              `${label}: the refusal does not say the image is shared: ${answer.body.slice(0, 200)}`,
            );
          }
          continue;
        }
        // Hidden or unauthenticated: exactly the answer for an image that does not exist.
        const baseline = await row.send(t, callFor(who, ghost));
        counts.cases += 1;
        if (HIDDEN.includes(who) && baseline.outcome !== row.missing) {
          failures.push(`${label} (missing image): expected ${row.missing}, got ${baseline.outcome}`);
        }
        if (UNAUTHENTICATED.includes(who) && !UNAUTHENTICATED_OUTCOME[row.surface].test(baseline.outcome)) {
          failures.push(`${label}: expected an authentication refusal, got ${baseline.outcome}`);
        }
        try {
          assert.deepEqual(masked(answer, image), masked(baseline, ghost));
        } catch {
          failures.push(
            `${label}: answer differs from a missing image's:\n  ${JSON.stringify(masked(answer, image))}\n  ${JSON.stringify(masked(baseline, ghost))}`,
          );
        }
      }
      return failures;
    }

    for (const surface of ['glance', 'tencent', 'tencent-v1', 'legacy', 'console'] as const) {
      it(`${surface}: each relation gets its outcome; who may not see the image cannot tell it exists`, async () => {
        const failures: string[] = [];
        for (const row of ROWS.filter((r) => r.surface === surface)) failures.push(...(await runRow(row)));
        if (surface === 'glance') {
          // HEAD follows GET; every other method of an image path is 405 for everyone who is authenticated.
          for (const [path, methods] of glancePaths) {
            const heads = methods.has('GET') ? [glanceRow('HEAD', path, { ...rowOf(`GET ${path}`) })] : [];
            const others = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
              .filter((m) => !methods.has(m))
              .map((m) => glanceRow(m, path, { owner: '405', receiver: '405', missing: '405' }));
            for (const row of [...heads, ...others]) failures.push(...(await runRow(row)));
          }
        }
        if (surface === 'console') {
          for (const row of ROWS.filter((r) => r.surface === 'console' && r.route.startsWith('GET '))) {
            const [, path] = row.route.split(' ') as [string, string];
            const { owner, receiver, missing } = rowOf(row.route);
            const head = consoleRow('HEAD', path.slice(API.length), {
              owner: CONSOLE_STATUS[owner] as string,
              receiver: CONSOLE_STATUS[receiver] as string,
              missing: CONSOLE_STATUS[missing] as string,
            });
            failures.push(...(await runRow(head)));
          }
        }
        assert.deepEqual(failures, []);
      });
    }

    it('no call of the matrix was answered with a 5xx', () => {
      assert.ok(counts.cases > 1000, `only ${counts.cases} cases ran`);
      assert.equal(counts.serverErrors, 0);
    });
  });
});

function rowOf(route: string): Pick<Row, 'owner' | 'admin' | 'receiver' | 'missing'> {
  const row = ROWS.find((r) => r.route === route);
  if (!row) throw new Error(`no row ${route}`);
  const { owner, admin, receiver, missing } = row;
  return { owner, ...(admin !== undefined ? { admin } : {}), receiver, missing };
}
