// Images, their tags and properties. Rows are never removed: deleting sets deleted_at, so an image ID is
// never handed out twice. Every read takes the region: an image exists only in its own region.
import {
  sql,
  type Compilable,
  type CompiledQuery,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
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
import { slotBinder, StatementShapes, type Built, type Templater } from './statement-shapes.js';
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

/** An image of a list page, with the relation through which the caller sees it. */
export interface ListedImage {
  image: Image;
  relation: SeeingRelation;
}

export interface ListedImagesPage {
  listed: ListedImage[];
  /** With `withTotal`: how many images the whole list has. */
  total?: number;
}

/** The columns listImages adds to each image row. */
interface ListExtras {
  list_branch: number | string;
  list_tags: unknown;
  list_properties: unknown;
  list_total?: number | string;
}

/** PostgreSQL's json arrives parsed; SQLite's as text. */
function parseJson<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export interface KeysetPage {
  sort: Array<{ key: SortKey; dir: SortDir }>;
  limit: number;
  /** The last row of the previous page. */
  after?: ImageRow;
}

/** Everything a list statement is built from (listPage, listImagesInOneStatement, count). */
interface ListInputs {
  scope: ListScope;
  filters: ImageFilters;
  page: {
    sort: Array<{ key: SortKey; dir: SortDir }>;
    /** Rows of the page. */
    limit: number;
    /** Rows of the merged list skipped before the page. */
    offset: number;
    /** Rows each branch reads (offset + limit where the page is cut in SQL, else limit). */
    branchLimit: number;
    after?: ImageRow;
    withTotal: boolean;
  };
}

function listInputs(
  scope: ListScope,
  filters: ImageFilters,
  page: Omit<ListInputs['page'], 'withTotal'> & { withTotal?: boolean },
): ListInputs {
  return { scope, filters, page: { ...page, withTotal: page.withTotal ?? false } };
}

/**
 * The list statements' compiled shapes, for every repository of the process (statement-shapes.ts). A shape
 * is a few kilobytes of SQL; 500 of them cover every combination of list, sort and filter that clients send
 * in practice, and a rarer one only costs a build.
 */
export const listShapes = new StatementShapes(500);

/**
 * ListInputs as a template of statement-shapes.ts: the values (caller's ID, region, now, limits, filter
 * values, the keyset marker's sort values) are slots; what the builders decide on stays as it is: the
 * caller's admin flag and the list mode (listPlan), sort keys and directions, which filters are present and
 * how many values each has, boolean filters, comparison operators, whether there is a marker, withTotal.
 * A filter field of any other form stays whole in the key (so is reused only for equal values).
 */
function listTemplate(real: ListInputs, dialect: DialectName): Templater<ListInputs> {
  return (ns) => {
    const { values, bind } = slotBinder(ns);
    const { scope, page } = real;
    const filters: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(real.filters) as Array<[string, unknown]>) {
      if (value === undefined) continue;
      filters[name] = templateFilter(name, value, bind);
    }
    const sort = fullSort(page.sort);
    const after = page.after;
    const inputs: ListInputs = {
      scope: {
        caller: { accountId: bind('caller', scope.caller.accountId), isAdmin: scope.caller.isAdmin },
        region: bind('region', scope.region),
        mode: scope.mode,
        now: bind('now', scope.now),
      },
      filters: filters,
      page: {
        sort: page.sort,
        // On SQLite the limits are written into the SQL (pageLimit), so they are part of the shape there.
        limit: dialect === 'sqlite' ? page.limit : bind('limit', page.limit),
        offset: bind('offset', page.offset),
        branchLimit: dialect === 'sqlite' ? page.branchLimit : bind('branchLimit', page.branchLimit),
        ...(after
          ? {
              // keysetCondition reads only the sort keys of the marker, through sortValue.
              after: Object.fromEntries(
                sort.map((s) => [s.key, bind(`after.${s.key}`, sortValue(after, s.key))]),
              ) as unknown as ImageRow,
            }
          : {}),
        withTotal: page.withTotal,
      },
    };
    return { inputs, values };
  };
}

function templateFilter(name: string, value: unknown, bind: <T>(slot: string, v: T) => T): unknown {
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number';
  if (scalar(value)) return bind(name, value);
  if (Array.isArray(value)) {
    return value.map((v: unknown, i) => {
      if (scalar(v)) return bind(`${name}.${i}`, v);
      if (v && typeof v === 'object' && 'op' in v && 'value' in v) {
        const c = v as { op: CompareOp; value: string };
        return { op: c.op, value: bind(`${name}.${i}`, c.value) };
      }
      return v;
    });
  }
  if (name === 'properties' && value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, string>).map(([k, v], i) => [
        bind(`${name}.k${i}`, k),
        bind(`${name}.v${i}`, v),
      ]),
    );
  }
  return value; // booleans, and anything else: part of the key
}

/**
 * The reads by image ID on every show (the row, its tags, its properties), compiled once per dialect and
 * number of IDs like the lists (statement-shapes.ts): building them through Kysely was ~5% of a show
 * request's CPU (bench/RESULTS.md, "Issue 10, fourth pass"). Hydrating a list page adds a shape per page size.
 */
export const byIdShapes = new StatementShapes(100);

/** The IDs as a template: each ID a slot, their number part of the shape. */
function idsTemplate(ids: string[]): Templater<string[]> {
  return (ns) => {
    const { values, bind } = slotBinder(ns);
    return { inputs: ids.map((id, i) => bind(`id.${i}`, id)), values };
  };
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
    const statement = this.byIds('find', [id], ([one]) =>
      this.db
        .selectFrom('images')
        .selectAll()
        .where('id', '=', one as string)
        .where('deleted_at', 'is', null),
    );
    return (await this.db.executeQuery<ImageRow>(statement)).rows[0];
  }

  /** The statement `build` makes for `ids`, compiled once per shape (byIdShapes). */
  private byIds(kind: string, ids: string[], build: (ids: string[]) => Compilable): CompiledQuery {
    const { statements } = byIdShapes.statements(`${kind} ${this.dialect}`, idsTemplate(ids), ids, (i) => ({
      statements: [build(i).compile()],
      meta: null,
    }));
    return statements[0] as CompiledQuery;
  }

  /**
   * Reads the image and locks its row until the transaction ends (PostgreSQL). Rules spanning rows (the
   * share limit, delete versus share) are checked under this lock so concurrent requests on any node
   * serialize. SQLite serializes whole transactions already (one writer), so a plain read suffices there.
   */
  async findForUpdate(id: string): Promise<ImageRow | undefined> {
    const statement = this.byIds('find for update', [id], ([one]) => {
      const query = this.db
        .selectFrom('images')
        .selectAll()
        .where('id', '=', one as string)
        .where('deleted_at', 'is', null);
      return this.dialect === 'postgres' ? query.forUpdate() : query;
    });
    return (await this.db.executeQuery<ImageRow>(statement)).rows[0];
  }

  /** An image in the recycle bin (deleted, status pending_delete), locked until the transaction ends. */
  async findBinnedForUpdate(id: string): Promise<ImageRow | undefined> {
    let query = this.db
      .selectFrom('images')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is not', null)
      .where('status', '=', 'pending_delete');
    if (this.dialect === 'postgres') query = query.forUpdate();
    return query.executeTakeFirst();
  }

  /** An owner's binned images in a region whose retention runs past `now`, newest deletion first. */
  async listBinned(
    ownerId: string,
    region: string,
    now: string,
    page: { offset: number; limit: number },
  ): Promise<{ rows: ImageRow[]; total: number }> {
    const base = this.db
      .selectFrom('images')
      .where('owner_id', '=', ownerId)
      .where('region', '=', region)
      .where('status', '=', 'pending_delete')
      .where('deleted_at', 'is not', null)
      .where('purge_after', '>', now);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('deleted_at', 'desc')
        .orderBy('id', 'desc')
        .offset(page.offset)
        .limit(page.limit)
        .execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.n) };
  }

  /** Binned images whose retention ended by `now`, the longest overdue first (the purge's work list). */
  async binnedDue(now: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('images')
      .select('id')
      .where('purge_after', '<=', now)
      .where('status', '=', 'pending_delete')
      .orderBy('purge_after')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
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
    const statement = this.byIds('tags', ids, (i) =>
      this.db.selectFrom('image_tags').select(['image_id', 'tag']).where('image_id', 'in', i).orderBy('tag'),
    );
    const { rows } = await this.db.executeQuery<{ image_id: string; tag: string }>(statement);
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
    const statement = this.byIds('properties', ids, (i) =>
      this.db
        .selectFrom('image_properties')
        .select(['image_id', 'key', 'value'])
        .where('image_id', 'in', i)
        .orderBy('key'),
    );
    const { rows } = await this.db.executeQuery<{ image_id: string; key: string; value: string }>(statement);
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
    const inputs = listInputs(scope, filters, { ...page, offset: 0, branchLimit: page.limit });
    const { statements, meta: relations } = listShapes.statements(
      `page ${this.dialect}`,
      listTemplate(inputs, this.dialect),
      inputs,
      (i) => this.buildPage(i),
    );
    // Each branch is already ordered and limited; merge them and cut to the page here, which keeps each
    // branch on its own index (a UNION with an outer ORDER BY would not let SQLite do that). compareRows
    // orders as the databases do (see sortExpression), so the merge agrees with each branch's order.
    const results = (
      await Promise.all(
        statements.map(async (statement, k) =>
          (await this.db.executeQuery<ImageRow>(statement)).rows.map((row): ListedRow => ({
            row,
            relation: relations[k] as SeeingRelation,
          })),
        ),
      )
    ).flat();
    if (statements.length > 1) results.sort((a, b) => compareRows(a.row, b.row, sort));
    return results.slice(0, page.limit);
  }

  /** listPage's statements, one per branch, and the relation each lists (see StatementShapes). */
  private buildPage({ scope, filters, page }: ListInputs): Built<SeeingRelation[]> {
    const sort = fullSort(page.sort);
    const branches = this.listBranches(scope, filters);
    const statements = branches.map((branch) => {
      let q = branch.query.selectAll('images');
      const column = (eb: Eb, key: SortKey) => branch.sortColumn?.(key) ?? this.sortExpression(eb, key);
      if (page.after) {
        const after = page.after;
        q = q.where((eb) => this.keysetCondition(eb, sort, after, column));
      }
      for (const s of sort) q = q.orderBy((eb) => column(eb, s.key), s.dir);
      return q.limit(this.pageLimit(page.branchLimit)).compile();
    });
    return { statements, meta: branches.map((b) => b.relation) };
  }

  /**
   * A page of listPage, with each image's tags and properties (and, when asked, the total count), in ONE
   * statement: the branches of listBranches, each still ordered and limited on its own index, joined by
   * UNION ALL; the page cut from them in SQL (the same order as compareRows, see sortExpression); then
   * each row of the page with its tags and properties aggregated as JSON. Five round trips (three branches,
   * tags, properties) become one (bench/RESULTS.md, "Lists at scale"). `offset` skips rows of the merged
   * list (Tencent's Offset); `withTotal` adds what count() answers.
   */
  async listImages(
    scope: ListScope,
    filters: ImageFilters,
    page: KeysetPage & { offset?: number; withTotal?: boolean },
  ): Promise<ListedImagesPage> {
    // SQLite runs in this process: a statement costs no round trip, and the one UNION statement measured
    // slower there than its parts (medians of 1,500 alternating calls, 20 images: 0.51 against 0.34 ms of
    // SQLite, 1.70 against 1.43 ms through Kysely; bench/RESULTS.md, "Lists at scale"). It keeps them.
    if (this.dialect === 'sqlite') return this.listImagesInSteps(scope, filters, page);
    return this.listImagesInOneStatement(scope, filters, page);
  }

  /** listImages as one statement (PostgreSQL's way; public so that the benchmark can compare on SQLite). */
  async listImagesInOneStatement(
    scope: ListScope,
    filters: ImageFilters,
    page: KeysetPage & { offset?: number; withTotal?: boolean },
  ): Promise<ListedImagesPage> {
    const sort = fullSort(page.sort);
    const offset = page.offset ?? 0;
    const inputs = listInputs(scope, filters, { ...page, offset, branchLimit: offset + page.limit });
    const { statements, meta: relations } = listShapes.statements(
      `one ${this.dialect}`,
      listTemplate(inputs, this.dialect),
      inputs,
      (i) => this.buildOneStatement(i),
    );
    const [statement] = statements;
    if (statement === undefined) return { listed: [], ...(page.withTotal ? { total: 0 } : {}) };
    const { rows } = await this.db.executeQuery<ImageRow & ListExtras>(statement);
    // The derived table's order is not guaranteed to survive the outer select: order again (a page at most).
    const listed = rows.map((r): ListedImage & { sortRow: ImageRow } => {
      const { list_branch, list_tags, list_properties, list_total: _total, ...row } = r;
      const relation = relations[Number(list_branch)] as SeeingRelation;
      const tags = parseJson<string[] | null>(list_tags) ?? [];
      const properties = parseJson<Record<string, string> | null>(list_properties) ?? {};
      return { image: toImage(row, tags, properties), relation, sortRow: row };
    });
    listed.sort((a, b) => compareRows(a.sortRow, b.sortRow, sort));
    const result: ListedImagesPage = { listed: listed.map(({ image, relation }) => ({ image, relation })) };
    if (page.withTotal) {
      // No row on the page (an offset past the end) means no total came back: ask for it alone.
      result.total = rows.length
        ? Number(rows[0]?.list_total)
        : offset === 0
          ? 0
          : await this.count(scope, filters);
    }
    return result;
  }

  /**
   * A list statement's LIMIT. On SQLite it is written into the SQL: a bound LIMIT makes SQLite (3.53 in
   * better-sqlite3, which reads the value to plan) re-prepare the statement on every run, 50-100 us for a
   * list branch even when it finds no row (bench/RESULTS.md, "Issue 10, third pass"). The limit is then part
   * of the statement's shape (listTemplate), so each page size a client uses has its own statement.
   */
  private pageLimit(limit: number): number | RawBuilder<number> {
    if (this.dialect !== 'sqlite') return limit;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`list limit ${limit} is not a count`);
    return sql.lit(limit);
  }

  /** listImagesInOneStatement's statement (none when the caller lists nothing) and each branch's relation. */
  private buildOneStatement({ scope, filters, page }: ListInputs): Built<SeeingRelation[]> {
    const sort = fullSort(page.sort);
    const branches = this.listBranches(scope, filters);
    const relations = branches.map((b) => b.relation);
    if (branches.length === 0) return { statements: [], meta: relations };
    const arms = branches.map((branch, i) => {
      let q = branch.query.selectAll('images').select(sql.lit(i).as('list_branch'));
      const column = (eb: Eb, key: SortKey) => branch.sortColumn?.(key) ?? this.sortExpression(eb, key);
      if (page.after) {
        const after = page.after;
        q = q.where((eb) => this.keysetCondition(eb, sort, after, column));
      }
      for (const s of sort) q = q.orderBy((eb) => column(eb, s.key), s.dir);
      // Each branch keeps its own ORDER BY + LIMIT (its index walk); a derived table lets it sit in a UNION.
      return sql`select * from ${q.limit(page.branchLimit)} as ${sql.id(`b${i}`)}`;
    });
    const order = sql.join(
      sort.map((s) => sql`${this.sortColumn('u', s.key)} ${sql.raw(s.dir === 'asc' ? 'asc' : 'desc')}`),
    );
    const total = page.withTotal
      ? sql`, (select coalesce(sum(c.n), 0) from (${sql.join(
          branches.map(
            ({ query }, i) =>
              sql`select * from ${query.select((eb) => eb.fn.countAll().as('n'))} as ${sql.id(`c${i}`)}`,
          ),
          sql` union all `,
        )}) as c) as list_total`
      : sql``;
    const aggregates =
      this.dialect === 'postgres'
        ? sql`(select json_agg(t.tag order by t.tag) from image_tags as t where t.image_id = p.id) as list_tags,
            (select json_object_agg(pr.key, pr.value order by pr.key) from image_properties as pr
              where pr.image_id = p.id) as list_properties`
        : sql`(select json_group_array(t.tag order by t.tag) from image_tags as t where t.image_id = p.id) as list_tags,
            (select json_group_object(pr.key, pr.value order by pr.key) from image_properties as pr
              where pr.image_id = p.id) as list_properties`;
    const query = sql<ImageRow & ListExtras>`select p.*, ${aggregates}${total}
      from (select * from (${sql.join(arms, sql` union all `)}) as u
        order by ${order} limit ${page.limit} offset ${page.offset}) as p`;
    return { statements: [query.compile(this.db)], meta: relations };
  }

  /** listImages as separate statements: listPage, hydrate and count (the SQLite way, see listImages). */
  async listImagesInSteps(
    scope: ListScope,
    filters: ImageFilters,
    page: KeysetPage & { offset?: number; withTotal?: boolean },
  ): Promise<ListedImagesPage> {
    const offset = page.offset ?? 0;
    const [rows, total] = await Promise.all([
      this.listPage(scope, filters, { sort: page.sort, limit: offset + page.limit, after: page.after }),
      page.withTotal ? this.count(scope, filters) : undefined,
    ]);
    const pageRows = rows.slice(offset);
    const images = await this.hydrate(pageRows.map((l) => l.row));
    const listed = pageRows.map((l, i) => ({ image: images[i] as Image, relation: l.relation }));
    return total === undefined ? { listed } : { listed, total };
  }

  /** How many images `listPage` would walk through in all (Tencent's TotalCount). */
  async count(scope: ListScope, filters: ImageFilters): Promise<number> {
    const inputs = listInputs(scope, filters, { sort: [], limit: 0, offset: 0, branchLimit: 0 });
    const { statements } = listShapes.statements(
      `count ${this.dialect}`,
      listTemplate(inputs, this.dialect),
      inputs,
      ({ scope: s, filters: f }) => ({
        statements: this.listBranches(s, f).map(({ query }) =>
          query.select((eb) => eb.fn.countAll<number | string>().as('n')).compile(),
        ),
        meta: null,
      }),
    );
    const counts = await Promise.all(
      statements.map(
        async (statement) => (await this.db.executeQuery<{ n: number | string }>(statement)).rows,
      ),
    );
    return counts.reduce((sum, rows) => sum + Number(rows[0]?.n ?? 0), 0);
  }

  /**
   * The SQL of a caller's list: one query per branch of the domain's listPlan (which RELATION_RULES decide),
   * each one equality range of an index walked in order (bench/RESULTS.md, "Listing as a receiver"):
   * own images by owner, others' images by region and visibility (one query per visibility: an IN over two
   * would make the database sort every such image of the region), shares from the caller's member rows.
   */
  private listBranches(scope: ListScope, filters: ImageFilters): ListBranchQuery[] {
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
        // One query per member status, as per visibility below: each is one range of the member index,
        // in the list's default order (sharedWith), and beside it the same status reached through groups.
        const shared = (from: ImagesQuery) =>
          listed(from)
            .where((eb) => visibilityIn(eb, eb.ref('images.visibility'), branch.visibilities))
            .where('images.owner_id', owner, caller.accountId)
            // domain/visibility.ts sharesSuspended: a disabled image's shares list nothing.
            .where((eb) => (branch.enabledImagesOnly ? eb('images.disabled_at', 'is', null) : eb.and([])));
        return branch.shareStatuses.flatMap((status) => [
          {
            relation: branch.relation,
            query: shared(this.sharedWith(caller, [status], branch.shareLiveAt)),
            sortColumn: sharedSortColumn,
          },
          {
            relation: branch.relation,
            query: shared(this.sharedThroughGroups(caller, [status], branch.shareLiveAt)),
          },
        ]);
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
   * the cost follows the page, not how many images the region has (walking the region's shared images
   * newest-first and probing the shares grows with the table: bench/RESULTS.md, "Listing as a receiver")
   * nor how many shares the caller holds: each share row carries its image's created_at (0080), and
   * sharedSortColumn orders by the share row's copy, so a page in the default order is a walk of the member
   * index (member_id, status, image_created_at, image_id) stopped after the page ("Lists at scale"). SQLite
   * keeps the order of a CROSS JOIN; PostgreSQL flattens `mine` and picks the same walk for that order.
   */
  private sharedWith(caller: Caller, statuses: string[], liveAt: string | null): ImagesQuery {
    let mine = this.db
      .selectFrom('image_members')
      .select(['image_members.image_id', 'image_members.image_created_at'])
      .where('image_members.member_id', '=', caller.accountId)
      .where('image_members.status', 'in', statuses);
    // domain/sharing.ts isShareLive, in SQL: no end time, or one after the request's instant (ISO text).
    if (liveAt !== null) {
      mine = mine.where((eb) =>
        eb.or([eb('image_members.expires_at', 'is', null), eb('image_members.expires_at', '>', liveAt)]),
      );
    }
    // Typed as a plain images query: every condition and column added later names images.* explicitly.
    return this.db
      .selectFrom(mine.as('mine'))
      .crossJoin('images')
      .whereRef('images.id', '=', 'mine.image_id');
  }

  /**
   * The images that reach the caller only through its groups (issue 12), each once however many of its groups
   * lead to it: a list branch of its own beside sharedWith, so that the direct shares keep their walk of the
   * member index. The two never hold the same image (reachableThroughGroups leaves out images with a live
   * direct share), so the branches stay disjoint.
   */
  private sharedThroughGroups(caller: Caller, statuses: string[], liveAt: string | null): ImagesQuery {
    const reached = this.reachableThroughGroups(caller, statuses, liveAt).distinct();
    return this.db
      .selectFrom(reached.as('mine'))
      .crossJoin('images')
      .whereRef('images.id', '=', 'mine.image_id');
  }

  /**
   * The images shared with a group the caller belongs to, as the list's 'member' branch counts them: domain
   * visibility.ts combineShares in SQL. A group share live at `liveAt`; no live member row of the caller's
   * own on the image (while there is one, its status decides, and the direct part of the list has it); and
   * the caller's answer to the image's group shares (pending until it gives one) among `statuses`.
   */
  private reachableThroughGroups(caller: Caller, statuses: string[], liveAt: string | null) {
    return this.db
      .selectFrom('account_group_members')
      .innerJoin('image_group_shares', 'image_group_shares.group_id', 'account_group_members.group_id')
      .leftJoin('group_share_consents', (join) =>
        join
          .onRef('group_share_consents.image_id', '=', 'image_group_shares.image_id')
          .on('group_share_consents.account_id', '=', caller.accountId),
      )
      .select('image_group_shares.image_id')
      .where('account_group_members.account_id', '=', caller.accountId)
      .where((eb) =>
        liveAt === null
          ? eb.and([])
          : eb.or([
              eb('image_group_shares.expires_at', 'is', null),
              eb('image_group_shares.expires_at', '>', liveAt),
            ]),
      )
      .where((eb) => eb(eb.fn.coalesce('group_share_consents.status', sql.lit('pending')), 'in', statuses))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('image_members')
              .select('image_members.image_id')
              .whereRef('image_members.image_id', '=', 'image_group_shares.image_id')
              .where('image_members.member_id', '=', caller.accountId)
              .where((inner) =>
                liveAt === null
                  ? inner.and([])
                  : inner.or([
                      inner('image_members.expires_at', 'is', null),
                      inner('image_members.expires_at', '>', liveAt),
                    ]),
              ),
          ),
        ),
      );
  }

  /** sortExpression over the columns of a derived table (the merged branches of listImages). */
  private sortColumn(table: string, key: SortKey): RawBuilder<unknown> {
    const column = sql.ref(`${table}.${key}`);
    if (key === 'size') return sql`coalesce(${column}, ${sql.lit(NULL_NUMBER)})`;
    if (key === 'name' || key === 'container_format' || key === 'disk_format') {
      const collate = this.dialect === 'postgres' ? sql.raw(' collate "C"') : sql.raw('');
      return sql`(coalesce(${column}, ${sql.lit(NULL_TEXT)}))${collate}`;
    }
    return column;
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
    column: (eb: Eb, key: SortKey) => Expression<unknown> = (e, key) => this.sortExpression(e, key),
  ): Expression<SqlBool> {
    const ors: Expression<SqlBool>[] = [];
    for (let i = 0; i < sort.length; i++) {
      const ands: Expression<SqlBool>[] = [];
      for (let j = 0; j < i; j++) {
        const s = sort[j] as { key: SortKey; dir: SortDir };
        ands.push(eb(column(eb, s.key), '=', sortValue(after, s.key)));
      }
      const s = sort[i] as { key: SortKey; dir: SortDir };
      ands.push(eb(column(eb, s.key), s.dir === 'asc' ? '>' : '<', sortValue(after, s.key)));
      ors.push(eb.and(ands));
    }
    // The same rows, plus a plain bound on the first key (k1 >= v1, or <= when descending) that the OR
    // hides from the planner: with it the index walk starts at the marker instead of at the first row of
    // the list, so a deep page costs what the first page costs.
    const first = sort[0] as { key: SortKey; dir: SortDir };
    return eb.and([
      eb(column(eb, first.key), first.dir === 'asc' ? '>=' : '<=', sortValue(after, first.key)),
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

/** One query of a list: one branch of listPlan (or one visibility or member status of it). */
interface ListBranchQuery {
  relation: SeeingRelation;
  query: ImagesQuery;
  /** The column this query orders a sort key by, when not the image's own (sortExpression). */
  sortColumn?: (key: SortKey) => Expression<unknown> | undefined;
}

/**
 * A shared-with-me query orders by the share row's copy of created_at and its image_id (equal to the
 * image's, see sharedWith): the member index then gives the rows in order.
 */
function sharedSortColumn(key: SortKey): Expression<unknown> | undefined {
  if (key === 'created_at') return sql.ref('mine.image_created_at');
  if (key === 'id') return sql.ref('mine.image_id');
  return undefined;
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
    lifecycle: {
      deprecatedAt: row.deprecated_at ?? null,
      replacementImageId: row.replacement_image_id ?? null,
      obsoleteAt: row.obsolete_at ?? null,
      disabledAt: row.disabled_at ?? null,
      deletedAt: row.purge_after ? row.deleted_at : null,
      purgeAfter: row.purge_after ?? null,
    },
  };
}
