// Reading images: one image, Glance's keyset-paged list, Tencent's offset-paged DescribeImages, the quota.
import type { Config } from '../../config.js';
import { fail } from '../../domain/errors.js';
import { memberStatuses, type Image, type MemberStatus, type Visibility } from '../../domain/types.js';
import { KIND_OF_RELATION, relationsOfKinds, type ImageKind } from '../../domain/visibility.js';
import type { ImageFilters, ListScope, SortDir, SortKey } from '../../repositories/db/image.repository.js';
import type { ImageRow } from '../../repositories/db/schema.js';
import type { ImageUnitOfWork } from '../../repositories/image-stores.js';
import type { RequestContext } from '../context.js';
import { isoNow, type Clock } from '../clock.js';
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

export type { ImageKind };

export interface DescribeQuery {
  kinds: ImageKind[];
  filters: ImageFilters;
  offset: number;
  limit: number;
}

/** A page of DescribeImages, with the kind (Tencent's image type) each image is listed as. */
export interface DescribedImages {
  images: Image[];
  kinds: ReadonlyMap<string, ImageKind>;
  total: number;
}

/** Deepest Offset Tencent's DescribeImages may ask for (see describe()). */
export const MAX_DESCRIBE_OFFSET = 10_000;

export class ImageReads {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {}

  get(ctx: RequestContext, id: string): Promise<Image> {
    return readImage(this.store.stores, ctx, id, isoNow(this.clock));
  }

  /** Whether the caller may see the image at all (used by surfaces that must answer 404 before anything). */
  async isVisible(ctx: RequestContext, id: string): Promise<boolean> {
    return (await findVisibleImage(this.store.stores, ctx, id, isoNow(this.clock))) !== undefined;
  }

  async list(ctx: RequestContext, query: ImageListQuery): Promise<ImagePage> {
    const stores = this.store.stores;
    const now = isoNow(this.clock);
    let after: ImageRow | undefined;
    if (query.marker !== undefined) {
      // A marker the caller cannot see is treated like a missing one: no hint that it exists.
      after = await findVisibleImage(stores, ctx, query.marker, now);
      if (!after) throw fail('InvalidInput', `marker ${query.marker} could not be found.`);
    }
    const scope: ListScope = {
      caller: ctx.caller,
      region: ctx.region,
      mode: {
        relations: relationsOfKinds(['own', 'public', 'shared', 'community']),
        visibility: query.visibility,
        memberStatuses: query.memberStatus === 'all' ? memberStatuses : [query.memberStatus],
      },
      now,
    };
    const { listed } = await stores.images.listImages(scope, query.filters, {
      sort: query.sort,
      limit: query.limit,
      after,
    });
    return {
      images: listed.map((l) => l.image),
      full: listed.length === query.limit && query.limit > 0,
    };
  }

  /**
   * Tencent's DescribeImages: own (PRIVATE_IMAGE; for an admin also every image it administers), shared with
   * me (SHARED_IMAGE: pending and accepted, not rejected, as Tencent has no acceptance step) and public
   * images, with offset paging and a total; `kinds` tells each image's kind (domain/visibility.ts).
   */
  async describe(ctx: RequestContext, query: DescribeQuery): Promise<DescribedImages> {
    // Offset paging reads Offset + Limit rows per branch; past this, narrow the filters instead.
    if (!Number.isInteger(query.offset) || query.offset < 0 || query.offset > MAX_DESCRIBE_OFFSET) {
      throw fail('InvalidInput', `Offset must be an integer from 0 to ${MAX_DESCRIBE_OFFSET}.`, {
        field: 'Offset',
      });
    }
    const stores = this.store.stores;
    const scope: ListScope = {
      caller: ctx.caller,
      region: ctx.region,
      mode: {
        relations: relationsOfKinds(query.kinds),
        visibility: 'all',
        memberStatuses: ['pending', 'accepted'],
      },
      now: isoNow(this.clock),
    };
    const { listed, total } = await stores.images.listImages(scope, query.filters, {
      sort: [{ key: 'created_at', dir: 'desc' }],
      limit: query.limit,
      offset: query.offset,
      withTotal: true,
    });
    const images = listed.map((l) => l.image);
    const kinds = new Map(listed.map((l) => [l.image.id, KIND_OF_RELATION[l.relation]]));
    return { images, kinds, total: total ?? 0 };
  }

  /** The caller's custom-image quota in the request's region. */
  async quota(ctx: RequestContext): Promise<{ quota: number; used: number }> {
    return {
      quota: this.config.images.quotaPerRegion,
      used: await this.store.stores.images.countOwned(ctx.caller.accountId, ctx.region),
    };
  }
}
