// GET /v2/images query parameters (spec §1.6) -> ImageListQuery, and the `first`/`next` links.
// Links start with /v2/: clients join them onto the endpoint they called (glanceclient onto the unversioned
// endpoint, openstacksdk after stripping /v2/), which for another region already holds /regions/<r>.
import { Type } from '@sinclair/typebox';
import { memberStatuses, visibilities, type MemberStatus, type Visibility } from '../../domain/types.js';
import type { CompareOp, ImageFilters, SortDir, SortKey } from '../../services/image-query.js';
import type { ImageListQuery } from '../../services/image.service.js';
import { badRequest } from './errors.js';

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;
/**
 * Bounds on one query's filters. Each tag or extra-property filter is one more subquery in one SQL
 * expression: about 1,000 exceed SQLite's expression depth (a 500), and PostgreSQL's planning cost grows
 * faster than linearly (measured on a small database: 10 of them ~0.15 s, 20 ~0.7 s, 40 ~2.8 s). So at most
 * MAX_MATCH_FILTERS of them, tags and properties together.
 */
export const MAX_MATCH_FILTERS = 10;
export const MAX_IN_VALUES = 100;
/** created_at / updated_at may each be given several times (a range); this many at most. */
export const MAX_TIME_FILTERS = 20;
/** min_ram / min_disk are 32-bit integers; sizes are bytes, exact up to 2^53 - 1. */
const MAX_INT32 = 2 ** 31 - 1;

const SORT_KEYS: readonly SortKey[] = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
];
/** Longer sort lists repeat a key (each adds a level to the marker's keyset condition). */
export const MAX_SORT_KEYS = SORT_KEYS.length;
const VISIBILITIES = [...visibilities, 'all'];
const MEMBER_STATUSES = [...memberStatuses, 'all'];
const COMPARE_OPS: readonly CompareOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'];
const KNOWN_OPS = [...COMPARE_OPS, 'in'];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

const CONTROL_KEYS = new Set([
  'limit',
  'marker',
  'sort_key',
  'sort_dir',
  'sort',
  'visibility',
  'member_status',
]);

function single(params: URLSearchParams, key: string): string | undefined {
  const all = params.getAll(key);
  return all.length ? all[all.length - 1] : undefined;
}

function parseInteger(value: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value.trim())) throw badRequest(`${name} param must be an integer`);
  const n = Number(value);
  if (n < 0) throw badRequest(`${name} param must be positive`);
  if (n > max) throw badRequest(`${name} param must be an integer from 0 to ${max}`);
  return n;
}

function parseBoolean(value: string, name: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw badRequest(`Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`);
}

/** Glance's split_filter_op: "op:value", unless the whole value is an ISO-8601 date. */
function splitOp(value: string): { op: string; value: string } {
  if (ISO_DATE.test(value)) return { op: 'eq', value };
  const i = value.indexOf(':');
  if (i < 0) return { op: 'eq', value };
  const op = value.slice(0, i);
  if (!KNOWN_OPS.includes(op)) throw badRequest(`Unable to filter by unknown operator '${op}'.`);
  return { op, value: value.slice(i + 1) };
}

/** The list of an `in:` filter: comma separated, values with commas double-quoted. */
export function splitInList(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '"') {
      quoted = !quoted;
      wasQuoted = true;
    } else if (c === ',' && !quoted) {
      out.push(wasQuoted ? current : current.trim());
      current = '';
      wasQuoted = false;
    } else current += c;
  }
  if (quoted) throw badRequest('Invalid filter value: the quotes are not closed.');
  out.push(wasQuoted ? current : current.trim());
  if (out.length > MAX_IN_VALUES) {
    throw badRequest(`Invalid filter value: an "in:" list takes at most ${MAX_IN_VALUES} values.`);
  }
  return out;
}

function listFilter(value: string): string[] {
  const { op, value: v } = splitOp(value);
  if (op === 'in') return splitInList(v);
  if (op === 'eq') return [v];
  throw badRequest(`Unable to filter using the specified operator '${op}'.`);
}

/** A timestamp in our stored form (ISO with milliseconds, UTC), from an ISO-8601 client value. */
function parseDate(value: string, name: string): Date {
  if (!ISO_DATE.test(value)) throw badRequest(`Invalid date format for ${name}: '${value}'.`);
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) && value.includes('T');
  const date = new Date(hasZone || !value.includes('T') ? value : `${value}Z`);
  if (Number.isNaN(date.getTime())) throw badRequest(`Invalid date format for ${name}: '${value}'.`);
  return date;
}

/**
 * created_at/updated_at filters. Images show times to the second, so comparisons are to the second:
 * eq:T matches anything within T's second, gt:T starts after it, lte:T includes it.
 */
function timeFilter(value: string, name: string): Array<{ op: CompareOp; value: string }> {
  const { op, value: v } = splitOp(value);
  if (!COMPARE_OPS.includes(op as CompareOp)) {
    throw badRequest(`Unable to filter using the specified operator '${op}'.`);
  }
  const start = parseDate(v, name);
  start.setUTCMilliseconds(0);
  const next = new Date(start.getTime() + 1000);
  const s = start.toISOString();
  const n = next.toISOString();
  switch (op as CompareOp) {
    case 'eq':
      return [
        { op: 'gte', value: s },
        { op: 'lt', value: n },
      ];
    case 'neq':
      return [{ op: 'neq', value: s }];
    case 'gt':
      return [{ op: 'gte', value: n }];
    case 'gte':
      return [{ op: 'gte', value: s }];
    case 'lt':
      return [{ op: 'lt', value: s }];
    case 'lte':
      return [{ op: 'lt', value: n }];
  }
}

function parseSort(params: URLSearchParams): Array<{ key: SortKey; dir: SortDir }> {
  const sortKeys = params.getAll('sort_key');
  const sortDirs = params.getAll('sort_dir');
  const sort = params.getAll('sort');
  const tooMany = () => badRequest(`Too many sort keys: at most ${MAX_SORT_KEYS} per request.`);
  if (sortKeys.length > MAX_SORT_KEYS || sortDirs.length > MAX_SORT_KEYS) throw tooMany();
  const checkKey = (key: string): SortKey => {
    if (!(SORT_KEYS as readonly string[]).includes(key)) throw badRequest(`Invalid sort key: ${key}.`);
    return key as SortKey;
  };
  const checkDir = (dir: string): SortDir => {
    if (dir !== 'asc' && dir !== 'desc') {
      throw badRequest(`Invalid sort direction: ${dir}. It must be one of: asc, desc`);
    }
    return dir;
  };
  if (sort.length) {
    if (sortKeys.length || sortDirs.length) {
      throw badRequest('The "sort" parameter cannot be combined with "sort_key" or "sort_dir".');
    }
    const parts = sort
      .join(',')
      .split(',')
      .filter((s) => s.trim() !== '');
    if (parts.length > MAX_SORT_KEYS) throw tooMany();
    return parts.map((part) => {
      const [key, dir, extra] = part.trim().split(':');
      if (extra !== undefined) throw badRequest(`Invalid sort value: ${part}`);
      return { key: checkKey(key as string), dir: dir === undefined ? 'desc' : checkDir(dir) };
    });
  }
  if (sortDirs.length > 1 && sortDirs.length !== sortKeys.length) {
    throw badRequest('Number of sort dirs does not match the number of sort keys');
  }
  const dirs = sortDirs.map(checkDir);
  if (!sortKeys.length) return [{ key: 'created_at', dir: dirs[0] ?? 'desc' }];
  return sortKeys.map((key, i) => ({
    key: checkKey(key),
    dir: (dirs.length === 1 ? dirs[0] : dirs[i]) ?? 'desc',
  }));
}

/** No NUL character: PostgreSQL text cannot hold one (a query with one fails there), and no stored value has one. */
const NO_NUL = '^[^\\u0000]*$';
const NUL_MESSAGE = 'Invalid query: parameter names and values must not contain NUL characters (%00).';

/** The values given for one query parameter name, in order. */
const values = (options: Record<string, unknown> = {}) =>
  Type.Array(Type.String({ pattern: NO_NUL, messages: { pattern: NUL_MESSAGE } }), options);
const timeFilters = (name: string) =>
  Type.Optional(
    values({
      maxItems: MAX_TIME_FILTERS,
      messages: { maxItems: `Too many ${name} filters: at most ${MAX_TIME_FILTERS} per request.` },
    }),
  );
const oneOf = (choices: readonly string[], message: string) =>
  Type.Optional(
    Type.Array(Type.Unsafe<string>({ type: 'string', enum: [...choices], messages: { enum: message } })),
  );

/**
 * The shape of GET /v2/images' query, as lists of values per name (queryLists in routing.ts), checked by
 * Fastify before the handler: characters, how often a name may repeat, the closed vocabularies. What a value
 * means (operators, dates, `in:` lists, sort syntax, integers and their ranges) is parsed below.
 */
export const listQuerySchema = Type.Object(
  {
    tag: Type.Optional(
      values({
        maxItems: MAX_MATCH_FILTERS,
        messages: { maxItems: `Too many tag filters: at most ${MAX_MATCH_FILTERS} per request.` },
      }),
    ),
    created_at: timeFilters('created_at'),
    updated_at: timeFilters('updated_at'),
    visibility: oneOf(VISIBILITIES, 'Invalid visibility value: {value}'),
    member_status: oneOf(MEMBER_STATUSES, 'Invalid status value: {value}'),
  },
  {
    propertyNames: { pattern: NO_NUL, messages: { pattern: NUL_MESSAGE } },
    // Any other name filters on an image field or an extra property.
    additionalProperties: values(),
  },
);

/** GET /v2/images' query (already checked against listQuerySchema) -> ImageListQuery. */
export function parseListQuery(params: URLSearchParams): ImageListQuery {
  const limitParam = single(params, 'limit');
  const limit = Math.min(
    // A larger limit is not an error: it is lowered to MAX_LIMIT.
    limitParam === undefined ? DEFAULT_LIMIT : parseInteger(limitParam, 'limit', Infinity),
    MAX_LIMIT,
  );
  const marker = single(params, 'marker');

  const visibility = single(params, 'visibility');
  const memberStatus = single(params, 'member_status') ?? 'accepted';

  const filters: ImageFilters = { osHidden: false };
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (CONTROL_KEYS.has(key) || seen.has(key)) continue;
    seen.add(key);
    const value = single(params, key) as string;
    switch (key) {
      case 'changes-since':
        throw badRequest('The "changes-since" filter is no longer available on v2.');
      case 'tag':
        filters.tags = params.getAll('tag');
        break;
      case 'id':
        filters.ids = listFilter(value);
        break;
      case 'name':
        filters.names = listFilter(value);
        break;
      case 'status':
        filters.statuses = listFilter(value);
        break;
      case 'container_format':
        filters.containerFormats = listFilter(value);
        break;
      case 'disk_format':
        filters.diskFormats = listFilter(value);
        break;
      case 'size_min':
        filters.sizeMin = parseInteger(value, 'size_min');
        break;
      case 'size_max':
        filters.sizeMax = parseInteger(value, 'size_max');
        break;
      case 'size':
        filters.size = parseInteger(value, 'size');
        break;
      case 'min_ram':
        filters.minRam = parseInteger(value, 'min_ram', MAX_INT32);
        break;
      case 'min_disk':
        filters.minDisk = parseInteger(value, 'min_disk', MAX_INT32);
        break;
      case 'created_at':
        filters.createdAt = params.getAll(key).flatMap((v) => timeFilter(v, key));
        break;
      case 'updated_at':
        filters.updatedAt = params.getAll(key).flatMap((v) => timeFilter(v, key));
        break;
      case 'protected':
        filters.protected = parseBoolean(value, 'protected');
        break;
      case 'os_hidden':
        filters.osHidden = parseBoolean(value, 'os_hidden');
        break;
      case 'owner':
        filters.owner = value;
        break;
      case 'checksum':
        filters.checksum = value;
        break;
      case 'os_hash_value':
        filters.osHashValue = value;
        break;
      case 'description':
        // Stored as a column (Tencent's ImageDescription), shown by Glance as a property.
        filters.description = value;
        break;
      default:
        // Any other key filters on an extra property's value.
        if (Object.keys(filters.properties ?? {}).length >= MAX_MATCH_FILTERS) {
          throw badRequest(`Too many property filters: at most ${MAX_MATCH_FILTERS} per request.`);
        }
        filters.properties = { ...(filters.properties ?? {}), [key]: value };
    }
  }

  const matchFilters = (filters.tags?.length ?? 0) + Object.keys(filters.properties ?? {}).length;
  if (matchFilters > MAX_MATCH_FILTERS) {
    throw badRequest(`Too many tag and property filters: at most ${MAX_MATCH_FILTERS} together per request.`);
  }

  return {
    limit,
    ...(marker !== undefined ? { marker } : {}),
    sort: parseSort(params),
    ...(visibility !== undefined ? { visibility: visibility as Visibility | 'all' } : {}),
    memberStatus: memberStatus as MemberStatus | 'all',
    filters,
  };
}

/** `first`: the request's own query without its marker; `next`: the same with the page's last ID. */
export function pageLinks(
  params: URLSearchParams,
  lastId: string | undefined,
): { first: string; next?: string } {
  const base = new URLSearchParams(params);
  base.delete('marker');
  const q = base.toString();
  const first = `/v2/images${q ? `?${q}` : ''}`;
  if (lastId === undefined) return { first };
  base.append('marker', lastId);
  return { first, next: `/v2/images?${base.toString()}` };
}
