// Images, their tags and properties. Rows are never removed: deleting sets deleted_at, so an image ID is
// never handed out twice. Every read takes the region: an image exists only in its own region.
import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import {
  visibilities as allVisibilities,
  type Caller,
  type Image,
  type ImageStatus,
  type Visibility,
} from '../../domain/types.js';
import {
  listPlan,
  UNLISTED_STATUSES,
  type ListBranch,
  type ListMode,
  type SeeingRelation,
} from '../../domain/visibility.js';
import type { DialectName } from './database.js';
import type { Database, ImageRow, NewImageRow } from './schema.js';
import type { ImageStore } from '../image-stores.js';

export type SortKey =
  'name' | 'status' | 'container_format' | 'disk_format' | 'size' | 'id' | 'created_at' | 'updated_at';
export type SortDir = 'asc' | 'desc';
export type CompareOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte';

export interface ImageFilters {
  ids?: string[];
  names?: string[];
  /** Names containing any of these substrings (Tencent's fuzzy image-name filter). */
  nameContains?: string[];
  statuses?: string[];
  containerFormats?: string[];
  diskFormats?: string[];
  owner?: string;
  /** All of these tags (AND). */
  tags?: string[];
  sizeMin?: number;
  sizeMax?: number;
  createdAt?: Array<{ op: CompareOp; value: string }>;
  updatedAt?: Array<{ op: CompareOp; value: string }>;
  protected?: boolean;
  osHidden?: boolean;
  checksum?: string;
  osHashValue?: string;
  description?: string;
  minRam?: number;
  minDisk?: number;
  size?: number;
  /** Extra-property equality. */
  properties?: Record<string, string>;
}

/** Whose list, in which region, and which list (see domain/visibility.ts). */
export interface ListScope {
  caller: Caller;
  region: string;
  mode: ListMode;
  /** The request's instant: shares past their end list nothing. */
  now: string;
}

/** A listed row and the relation (list branch) through which the caller sees it. */
export interface ListedRow {
  row: ImageRow;
  relation: SeeingRelation;
}

export interface KeysetPage {
  sort: Array<{ key: SortKey; dir: SortDir }>;
  limit: number;
  /** The last row of the previous page. */
  after?: ImageRow;
}

type Executor = Kysely<Database>;
type Eb = ExpressionBuilder<Database, 'images'>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- Kysely's type of "nothing selected yet"
type ImagesQuery = SelectQueryBuilder<Database, 'images', {}>;

const NULL_TEXT = '';
const NULL_NUMBER = -1;

function sortValue(row: ImageRow, key: SortKey): string | number {
  const value = row[key];
  if (value === null || value === undefined) return key === 'size' ? NULL_NUMBER : NULL_TEXT;
  return value;
}

/** The full ordering: requested keys, then created_at and id as tie-breakers (each once). */
export function fullSort(sort: Array<{ key: SortKey; dir: SortDir }>): Array<{ key: SortKey; dir: SortDir }> {
  const out = [...sort];
  const lastDir = sort.length ? (sort[sort.length - 1] as { dir: SortDir }).dir : 'desc';
  if (!out.some((s) => s.key === 'created_at')) out.push({ key: 'created_at', dir: lastDir });
  if (!out.some((s) => s.key === 'id')) out.push({ key: 'id', dir: lastDir });
  return out;
}

export class ImageRepository implements ImageStore {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  async insert(row: NewImageRow): Promise<void> {
    await this.db.insertInto('images').values(row).execute();
  }

  async idExists(id: string): Promise<boolean> {
    const row = await this.db.selectFrom('images').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  /** A live (not deleted) image, in whichever region; whether it exists for a caller is access.ts's call. */
  async find(id: string): Promise<ImageRow | undefined> {
    return this.db
      .selectFrom('images')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
  }

  /**
   * Reads the image and locks its row until the transaction ends (PostgreSQL). Rules spanning rows (the
   * share limit, delete versus share) are checked under this lock so concurrent requests on any node
   * serialize. SQLite serializes whole transactions already (one writer), so a plain read suffices there.
   */
  async findForUpdate(id: string): Promise<ImageRow | undefined> {
    let query = this.db.selectFrom('images').selectAll().where('id', '=', id).where('deleted_at', 'is', null);
    if (this.dialect === 'postgres') query = query.forUpdate();
    return query.executeTakeFirst();
  }

  async update(id: string, changes: Partial<Omit<ImageRow, 'id'>>): Promise<void> {
    await this.db.updateTable('images').set(changes).where('id', '=', id).execute();
  }

  /** Heartbeat of a running upload: only while the upload still holds the image. */
  async touchUpload(id: string, uploadId: string, at: string): Promise<void> {
    await this.db
      .updateTable('images')
      .set({ upload_heartbeat_at: at })
      .where('id', '=', id)
      .where('upload_id', '=', uploadId)
      .where('status', '=', 'saving')
      .execute();
  }

  /**
   * Serializes quota checks of one owner in one region until the transaction ends: count-then-insert is
   * otherwise a race under PostgreSQL's READ COMMITTED (two requests both count N-1 and both insert). The
   * owner need not be an account (admins may set any owner), so this is an advisory lock on the pair, not a
   * row lock. SQLite transactions are serialized already (BEGIN IMMEDIATE).
   */
  async lockOwnerRegion(ownerId: string, region: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`select pg_advisory_xact_lock(hashtextextended(${`images:${ownerId}:${region}`}, 0))`.execute(
      this.db,
    );
  }

  /** Images an account owns in a region that count against its quota. */
  async countOwned(ownerId: string, region: string): Promise<number> {
    const row = await this.db
      .selectFrom('images')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('owner_id', '=', ownerId)
      .where('region', '=', region)
      .where('deleted_at', 'is', null)
      .where('status', '!=', 'killed')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async tagsOf(ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('image_tags')
      .select(['image_id', 'tag'])
      .where('image_id', 'in', ids)
      .orderBy('tag')
      .execute();
    for (const row of rows) {
      const list = out.get(row.image_id) ?? [];
      list.push(row.tag);
      out.set(row.image_id, list);
    }
    return out;
  }

  async propertiesOf(ids: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('image_properties')
      .select(['image_id', 'key', 'value'])
      .where('image_id', 'in', ids)
      .orderBy('key')
      .execute();
    for (const row of rows) {
      const props = out.get(row.image_id) ?? {};
      props[row.key] = row.value;
      out.set(row.image_id, props);
    }
    return out;
  }

  async replaceTags(id: string, tags: string[]): Promise<void> {
    await this.db.deleteFrom('image_tags').where('image_id', '=', id).execute();
    if (tags.length) {
      await this.db
        .insertInto('image_tags')
        .values(tags.map((tag) => ({ image_id: id, tag })))
        .execute();
    }
  }

  async addTag(id: string, tag: string): Promise<void> {
    await this.db
      .insertInto('image_tags')
      .values({ image_id: id, tag })
      .onConflict((oc) => oc.columns(['image_id', 'tag']).doNothing())
      .execute();
  }

  async removeTag(id: string, tag: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('image_tags')
      .where('image_id', '=', id)
      .where('tag', '=', tag)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async setProperties(id: string, props: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(props)) {
      await this.db
        .insertInto('image_properties')
        .values({ image_id: id, key, value })
        .onConflict((oc) => oc.columns(['image_id', 'key']).doUpdateSet({ value }))
        .execute();
    }
  }

  async removeProperties(id: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db
      .deleteFrom('image_properties')
      .where('image_id', '=', id)
      .where('key', 'in', keys)
      .execute();
  }

  /** Turns rows into domain images, loading tags and properties for the whole batch in two queries. */
  async hydrate(rows: ImageRow[]): Promise<Image[]> {
    const ids = rows.map((r) => r.id);
    const [tags, props] = await Promise.all([this.tagsOf(ids), this.propertiesOf(ids)]);
    return rows.map((row) => toImage(row, tags.get(row.id) ?? [], props.get(row.id) ?? {}));
  }

  /**
   * One page of the images a caller may list, ordered by the requested keys with keyset pagination, each with
   * the relation it is listed through. The list is the union of disjoint branches (listBranches), each of
   * which an index serves, so a page costs time in proportion to the page and the caller's own rows, not to
   * the number of images in the database.
   */
  async listPage(scope: ListScope, filters: ImageFilters, page: KeysetPage): Promise<ListedRow[]> {
    const sort = fullSort(page.sort);
    const queries = this.listBranches(scope, filters).map(({ relation, query: base }) => {
      let q = base.selectAll('images');
      if (page.after) {
        const after = page.after;
        q = q.where((eb) => this.keysetCondition(eb, sort, after));
      }
      for (const s of sort) q = q.orderBy((eb) => this.sortExpression(eb, s.key), s.dir);
      return { relation, query: q.limit(page.limit) };
    });
    // Each branch is already ordered and limited; merge them and cut to the page here, which keeps each
    // branch on its own index (a UNION with an outer ORDER BY would not let SQLite do that). compareRows
    // orders as the databases do (see sortExpression), so the merge agrees with each branch's order.
    const results = (
      await Promise.all(
        queries.map(async ({ relation, query }) =>
          (await query.execute()).map((row): ListedRow => ({ row, relation })),
        ),
      )
    ).flat();
    if (queries.length > 1) results.sort((a, b) => compareRows(a.row, b.row, sort));
    return results.slice(0, page.limit);
  }

  /** How many images `listPage` would walk through in all (Tencent's TotalCount). */
  async count(scope: ListScope, filters: ImageFilters): Promise<number> {
    const counts = await Promise.all(
      this.listBranches(scope, filters).map(({ query }) =>
        query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      ),
    );
    return counts.reduce((sum, row) => sum + Number(row.n), 0);
  }

  /**
   * The SQL of a caller's list: one query per branch of the domain's listPlan (which RELATION_RULES decide),
   * each one equality range of an index walked in order (bench/RESULTS.md, "Listing as a receiver"):
   * own images by owner, others' images by region and visibility (one query per visibility: an IN over two
   * would make the database sort every such image of the region), shares from the caller's member rows.
   */
  private listBranches(scope: ListScope, filters: ImageFilters) {
    const { caller } = scope;
    // What every branch lists: the region's live images of a listed status that pass the filters.
    const listed = (from: ImagesQuery) =>
      from
        .where('images.region', '=', scope.region)
        .where('images.deleted_at', 'is', null)
        .where('images.status', 'not in', [...UNLISTED_STATUSES])
        .where((eb) => this.filterConditions(eb, filters));
    return listPlan(caller, scope.mode, scope.now).flatMap((branch) => {
      const owner = branch.owner === 'caller' ? ('=' as const) : ('!=' as const);
      if (branch.shareStatuses) {
        const query = listed(this.sharedWith(caller, branch.shareStatuses, branch.shareLiveAt))
          .where((eb) => visibilityIn(eb, eb.ref('images.visibility'), branch.visibilities))
          .where('images.owner_id', owner, caller.accountId);
        return [{ relation: branch.relation, query }];
      }
      if (branch.owner === 'caller') {
        const query = listed(this.db.selectFrom('images')).where((eb) => ownBranch(eb, caller, branch));
        return [{ relation: branch.relation, query }];
      }
      return branch.visibilities.map((visibility) => ({
        relation: branch.relation,
        query: listed(this.db.selectFrom('images'))
          .where('images.visibility', '=', visibility)
          .where('images.owner_id', owner, caller.accountId),
      }));
    });
  }

  /**
   * The images the caller holds a share of (with one of `statuses`), read from its share rows outward, so
   * the cost follows how many shares it holds, not how many images the region has (walking the region's
   * shared images newest-first and probing the shares grows with the table: bench/RESULTS.md, "Listing as
   * a receiver"). SQLite keeps the order of a CROSS JOIN; PostgreSQL would still walk images by date (its
   * estimate of how soon 25 matches turn up is far off), so there the share list sits behind OFFSET 0, which
   * it never flattens.
   */
  private sharedWith(caller: Caller, statuses: string[], liveAt: string | null): ImagesQuery {
    let mine = this.db
      .selectFrom('image_members')
      .select('image_members.image_id')
      .where('image_members.member_id', '=', caller.accountId)
      .where('image_members.status', 'in', statuses);
    // domain/sharing.ts isShareLive, in SQL: no end time, or one after the request's instant (ISO text).
    if (liveAt !== null) {
      mine = mine.where((eb) =>
        eb.or([eb('image_members.expires_at', 'is', null), eb('image_members.expires_at', '>', liveAt)]),
      );
    }
    if (this.dialect === 'postgres') mine = mine.offset(0);
    // Typed as a plain images query: every condition and column added later names images.* explicitly.
    return this.db
      .selectFrom(mine.as('mine'))
      .crossJoin('images')
      .whereRef('images.id', '=', 'mine.image_id');
  }

  // Nullable sort keys are compared through COALESCE so that NULLs order consistently in the keyset
  // condition. Free text (names, formats) sorts bytewise ("C" in PostgreSQL, BINARY in SQLite), as
  // compareRows merges. The other keys (ISO timestamps, img-xxxxxxxx IDs, lowercase statuses) have one fixed
  // ASCII shape, which every deterministic collation orders bytewise too; leaving them in the database's
  // own collation lets PostgreSQL read the list indexes in order instead of sorting each branch.
  private sortExpression(eb: Eb, key: SortKey): Expression<unknown> {
    if (key === 'size') return eb.fn.coalesce('images.size', sql.lit(NULL_NUMBER));
    if (key === 'name' || key === 'container_format' || key === 'disk_format') {
      const collate = this.dialect === 'postgres' ? sql.raw(' collate "C"') : sql.raw('');
      return sql`(${eb.fn.coalesce(`images.${key}`, sql.lit(NULL_TEXT))})${collate}`;
    }
    return eb.ref(`images.${key}`);
  }

  /** Rows strictly after `after` in the given order: (k1 > v1) or (k1 = v1 and k2 > v2) or ... */
  private keysetCondition(
    eb: Eb,
    sort: Array<{ key: SortKey; dir: SortDir }>,
    after: ImageRow,
  ): Expression<SqlBool> {
    const ors: Expression<SqlBool>[] = [];
    for (let i = 0; i < sort.length; i++) {
      const ands: Expression<SqlBool>[] = [];
      for (let j = 0; j < i; j++) {
        const s = sort[j] as { key: SortKey; dir: SortDir };
        ands.push(eb(this.sortExpression(eb, s.key), '=', sortValue(after, s.key)));
      }
      const s = sort[i] as { key: SortKey; dir: SortDir };
      ands.push(eb(this.sortExpression(eb, s.key), s.dir === 'asc' ? '>' : '<', sortValue(after, s.key)));
      ors.push(eb.and(ands));
    }
    // The same rows, plus a plain bound on the first key (k1 >= v1, or <= when descending) that the OR
    // hides from the planner: with it the index walk starts at the marker instead of at the first row of
    // the list, so a deep page costs what the first page costs.
    const first = sort[0] as { key: SortKey; dir: SortDir };
    return eb.and([
      eb(this.sortExpression(eb, first.key), first.dir === 'asc' ? '>=' : '<=', sortValue(after, first.key)),
      eb.or(ors),
    ]);
  }

  private filterConditions(eb: Eb, f: ImageFilters): Expression<SqlBool> {
    const conds: Expression<SqlBool>[] = [];
    if (f.ids) conds.push(eb('images.id', 'in', f.ids));
    if (f.names) conds.push(eb('images.name', 'in', f.names));
    if (f.nameContains) {
      conds.push(
        // Case-insensitive on both databases, with an explicit ESCAPE (SQLite has no default escape).
        eb.or(
          f.nameContains.map(
            (part) =>
              sql<SqlBool>`lower(${eb.ref('images.name')}) like ${`%${escapeLike(part.toLowerCase())}%`} escape '\\'`,
          ),
        ),
      );
    }
    if (f.statuses) conds.push(eb('images.status', 'in', f.statuses));
    if (f.containerFormats) conds.push(eb('images.container_format', 'in', f.containerFormats));
    if (f.diskFormats) conds.push(eb('images.disk_format', 'in', f.diskFormats));
    if (f.owner !== undefined) conds.push(eb('images.owner_id', '=', f.owner));
    if (f.sizeMin !== undefined) conds.push(eb('images.size', '>=', f.sizeMin));
    if (f.sizeMax !== undefined) conds.push(eb('images.size', '<=', f.sizeMax));
    if (f.size !== undefined) conds.push(eb('images.size', '=', f.size));
    if (f.minRam !== undefined) conds.push(eb('images.min_ram', '=', f.minRam));
    if (f.minDisk !== undefined) conds.push(eb('images.min_disk', '=', f.minDisk));
    if (f.protected !== undefined) conds.push(eb('images.protected', '=', f.protected ? 1 : 0));
    if (f.osHidden !== undefined) conds.push(eb('images.os_hidden', '=', f.osHidden ? 1 : 0));
    if (f.checksum !== undefined) conds.push(eb('images.checksum', '=', f.checksum));
    if (f.osHashValue !== undefined) conds.push(eb('images.os_hash_value', '=', f.osHashValue));
    if (f.description !== undefined) conds.push(eb('images.description', '=', f.description));
    for (const [column, list] of [
      ['created_at', f.createdAt],
      ['updated_at', f.updatedAt],
    ] as const) {
      for (const { op, value } of list ?? []) conds.push(eb(`images.${column}`, sqlOp(op), value));
    }
    for (const tag of f.tags ?? []) {
      conds.push(
        eb.exists(
          eb
            .selectFrom('image_tags')
            .select('image_tags.image_id')
            .whereRef('image_tags.image_id', '=', 'images.id')
            .where('image_tags.tag', '=', tag),
        ),
      );
    }
    for (const [key, value] of Object.entries(f.properties ?? {})) {
      conds.push(
        eb.exists(
          eb
            .selectFrom('image_properties')
            .select('image_properties.image_id')
            .whereRef('image_properties.image_id', '=', 'images.id')
            .where('image_properties.key', '=', key)
            .where('image_properties.value', '=', value),
        ),
      );
    }
    return eb.and(conds);
  }
}

/** The caller's own images of the branch's visibilities, on the owner's index. */
function ownBranch(eb: Eb, caller: Caller, branch: ListBranch): Expression<SqlBool> {
  const mine = eb('images.owner_id', '=', caller.accountId);
  if (branch.visibilities.length === allVisibilities.length) return mine;
  // `|| ''` keeps visibility out of index selection: without it SQLite (no statistics) walks
  // images_region_visibility_created through every image of that visibility instead of the owner's index.
  return eb.and([
    mine,
    visibilityIn(eb, sql<string>`${eb.ref('images.visibility')} || ''`, branch.visibilities),
  ]);
}

/** `column = v` for one visibility (as the planners read it best), `column in (...)` for several. */
function visibilityIn<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  column: Expression<string>,
  list: Visibility[],
): Expression<SqlBool> {
  return list.length === 1 ? eb(column, '=', list[0] as Visibility) : eb(column, 'in', list);
}

/** Escapes LIKE wildcards so a user's text matches literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function sqlOp(op: CompareOp): '=' | '!=' | '>' | '>=' | '<' | '<=' {
  return ({ eq: '=', neq: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const)[op];
}

function compareRows(a: ImageRow, b: ImageRow, sort: Array<{ key: SortKey; dir: SortDir }>): number {
  for (const s of sort) {
    const x = sortValue(a, s.key);
    const y = sortValue(b, s.key);
    if (x === y) continue;
    const order =
      typeof x === 'number' && typeof y === 'number'
        ? x - y
        : Buffer.compare(Buffer.from(String(x)), Buffer.from(String(y)));
    if (order !== 0) return Math.sign(order) * (s.dir === 'asc' ? 1 : -1);
  }
  return 0;
}

export function toImage(row: ImageRow, tags: string[], properties: Record<string, string>): Image {
  return {
    id: row.id,
    ownerId: row.owner_id,
    region: row.region,
    name: row.name,
    description: row.description,
    status: row.status as ImageStatus,
    visibility: row.visibility as Visibility,
    protected: row.protected === 1,
    osHidden: row.os_hidden === 1,
    size: row.size === null ? null : Number(row.size),
    virtualSize: row.virtual_size === null ? null : Number(row.virtual_size),
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    diskFormat: row.disk_format,
    containerFormat: row.container_format,
    minDisk: row.min_disk,
    minRam: row.min_ram,
    blobKey: row.blob_key,
    sourceImageId: row.source_image_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    tags,
    properties,
  };
}
