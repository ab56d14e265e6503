// Reading images: one image, Glance's keyset-paged list, Tencent's offset-paged DescribeImages, the quota.
import type { Config } from '../../config.js';
import { fail } from '../../domain/errors.js';
import type { Image, MemberStatus, Visibility } from '../../domain/types.js';
import type { ImageFilters, ListScope, SortDir, SortKey } from '../../repositories/db/image.repository.js';
import type { ImageRow } from '../../repositories/db/schema.js';
import type { ImageUnitOfWork } from '../../repositories/image-stores.js';
import type { RequestContext } from '../context.js';
import { findVisibleImage } from '../image-access.js';
import { readImage } from './support.js';

export interface ImageListQuery {
  limit: number;
  /** ID of the last image of the previous page. */
  marker?: string;
  sort: Array<{ key: SortKey; dir: SortDir }>;
  visibility?: Visibility | 'all';
  memberStatus: MemberStatus | 'all';
  filters: ImageFilters;
}

export interface ImagePage {
  images: Image[];
  /** True when the page is full, so a next page may exist (Glance then sends a `next` link). */
  full: boolean;
}

export type ImageKind = 'own' | 'shared' | 'public';

export interface DescribeQuery {
  kinds: ImageKind[];
  filters: ImageFilters;
  offset: number;
  limit: number;
}

const ALL_MEMBER_STATUSES: MemberStatus[] = ['pending', 'accepted', 'rejected'];

/** Deepest Offset Tencent's DescribeImages may ask for (see describe()). */
export const MAX_DESCRIBE_OFFSET = 10_000;

export class ImageReads {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly config: Config,
  ) {}

  get(ctx: RequestContext, id: string): Promise<Image> {
    return readImage(this.store.stores, ctx, id);
  }

  /** Whether the caller may see the image at all (used by surfaces that must answer 404 before anything). */
  async isVisible(ctx: RequestContext, id: string): Promise<boolean> {
    return (await findVisibleImage(this.store.stores, ctx, id)) !== undefined;
  }

  async list(ctx: RequestContext, query: ImageListQuery): Promise<ImagePage> {
    const stores = this.store.stores;
    let after: ImageRow | undefined;
    if (query.marker !== undefined) {
      // A marker the caller cannot see is treated like a missing one: no hint that it exists.
      after = await findVisibleImage(stores, ctx, query.marker);
      if (!after) throw fail('InvalidInput', `marker ${query.marker} could not be found.`);
    }
    const scope: ListScope = {
      accountId: ctx.caller.accountId,
      isAdmin: ctx.caller.isAdmin,
      region: ctx.region,
      visibility: query.visibility,
      memberStatuses: query.memberStatus === 'all' ? ALL_MEMBER_STATUSES : [query.memberStatus],
      include: { own: true, public: true, shared: true },
    };
    const rows = await stores.images.listPage(scope, query.filters, {
      sort: query.sort,
      limit: query.limit,
      after,
    });
    return {
      images: await stores.images.hydrate(rows),
      full: rows.length === query.limit && query.limit > 0,
    };
  }

  /**
   * Tencent's DescribeImages: own (PRIVATE_IMAGE), shared with me (SHARED_IMAGE: pending and accepted, not
   * rejected, as Tencent has no acceptance step) and public images, with offset paging and a total.
   */
  async describe(ctx: RequestContext, query: DescribeQuery): Promise<{ images: Image[]; total: number }> {
    // Offset paging reads Offset + Limit rows per branch; past this, narrow the filters instead.
    if (!Number.isInteger(query.offset) || query.offset < 0 || query.offset > MAX_DESCRIBE_OFFSET) {
      throw fail('InvalidInput', `Offset must be an integer from 0 to ${MAX_DESCRIBE_OFFSET}.`, {
        field: 'Offset',
      });
    }
    const stores = this.store.stores;
    const scope: ListScope = {
      accountId: ctx.caller.accountId,
      isAdmin: false, // Tencent's lists are per account, also for admins
      region: ctx.region,
      visibility: 'all',
      memberStatuses: ['pending', 'accepted'],
      include: {
        own: query.kinds.includes('own'),
        public: query.kinds.includes('public'),
        shared: query.kinds.includes('shared'),
      },
    };
    const [rows, total] = await Promise.all([
      stores.images.listPage(scope, query.filters, {
        sort: [{ key: 'created_at', dir: 'desc' }],
        limit: query.offset + query.limit,
      }),
      stores.images.count(scope, query.filters),
    ]);
    return { images: await stores.images.hydrate(rows.slice(query.offset)), total };
  }

  /** The caller's custom-image quota in the request's region. */
  async quota(ctx: RequestContext): Promise<{ quota: number; used: number }> {
    return {
      quota: this.config.images.quotaPerRegion,
      used: await this.store.stores.images.countOwned(ctx.caller.accountId, ctx.region),
    };
  }
}
