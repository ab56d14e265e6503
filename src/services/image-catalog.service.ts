// The console's image tables: one kind of image at a time (my custom images, images shared with me, public
// images), searched, sorted and paged by offset with a total, with what the console shows beside each image
// (how many accounts a custom image is shared with, the caller's share status on a shared one).
import { fail } from '../domain/errors.js';
import { isImageId } from '../domain/ids.js';
import type { Image } from '../domain/types.js';
import { relationsOfKinds, type ImageKind, type Membership } from '../domain/visibility.js';
import type { ImageFilters, ListScope, SortKey } from '../repositories/db/image.repository.js';
import type { ImageUnitOfWork } from '../repositories/image-stores.js';
import { isoNow, type Clock } from './clock.js';
import type { RequestContext } from './context.js';
import { MAX_DESCRIBE_OFFSET } from './image.service.js';

export type CatalogKind = 'custom' | 'shared' | 'public';
export type CatalogSort = 'name' | 'createdAt' | 'size' | 'status';

export interface CatalogQuery {
  kind: CatalogKind;
  /** Case-insensitive part of the name, or an exact image ID. */
  search?: string;
  sort: CatalogSort;
  order: 'asc' | 'desc';
  page: number;
  pageSize: number;
}

export interface CatalogPage {
  images: Image[];
  total: number;
  /** Custom images: accounts each is shared with. */
  shareCounts: Map<string, number>;
  /** Shared images: the caller's share (status, end time, what it may do) on each. */
  memberships: Map<string, Membership>;
}

const KIND_OF_TAB: Record<CatalogKind, ImageKind> = { custom: 'own', shared: 'shared', public: 'public' };

const SORT_KEYS: Record<CatalogSort, SortKey> = {
  name: 'name',
  createdAt: 'created_at',
  size: 'size',
  status: 'status',
};

export class ImageCatalogService {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly clock: Clock,
  ) {}

  async browse(ctx: RequestContext, query: CatalogQuery): Promise<CatalogPage> {
    const offset = (query.page - 1) * query.pageSize;
    // Offset paging reads offset + pageSize rows; deeper than Tencent's DescribeImages allows, search instead.
    if (offset > MAX_DESCRIBE_OFFSET) {
      throw fail('InvalidInput', `page is too deep: at most ${MAX_DESCRIBE_OFFSET} images can be skipped.`, {
        field: 'page',
      });
    }
    const scope: ListScope = {
      // The console lists per account, also for administrators (as Tencent's consoles do).
      caller: { ...ctx.caller, isAdmin: false },
      region: ctx.region,
      mode: {
        relations: relationsOfKinds([KIND_OF_TAB[query.kind]]),
        visibility: 'all',
        memberStatuses: ['pending', 'accepted', 'rejected'],
      },
      now: isoNow(this.clock),
    };
    const repos = this.store.stores;
    const sort = [{ key: SORT_KEYS[query.sort], dir: query.order }];
    const run = async (filters: ImageFilters) => {
      const [rows, total] = await Promise.all([
        repos.images.listPage(scope, filters, { sort, limit: offset + query.pageSize }),
        repos.images.count(scope, filters),
      ]);
      return { rows: rows.slice(offset).map((l) => l.row), total };
    };
    const search = query.search?.trim() ?? '';
    let found = await run(search ? { nameContains: [search] } : {});
    // An image ID matches exactly, unless some name contains it.
    if (search && found.total === 0 && isImageId(search)) found = await run({ ids: [search] });

    const images = await repos.images.hydrate(found.rows);
    const ids = images.map((i) => i.id);
    const stats = repos.shareStats;
    return {
      images,
      total: found.total,
      shareCounts: query.kind === 'custom' ? await stats.shareCounts(ids) : new Map<string, number>(),
      memberships:
        query.kind === 'shared'
          ? await stats.membershipsOf(ctx.caller.accountId, ids, scope.now)
          : new Map<string, Membership>(),
    };
  }

  /** The console's view of one image: its share count (owner) or the caller's share on it (receiver). */
  async extras(
    ctx: RequestContext,
    image: Image,
  ): Promise<{ shareCount: number | null; share: Membership | null }> {
    const stats = this.store.stores.shareStats;
    if (image.ownerId === ctx.caller.accountId) {
      return { shareCount: (await stats.shareCounts([image.id])).get(image.id) ?? 0, share: null };
    }
    return {
      shareCount: null,
      share:
        (await stats.membershipsOf(ctx.caller.accountId, [image.id], isoNow(this.clock))).get(image.id) ??
        null,
    };
  }
}
