// What the image, share and instance services need from storage, as interfaces: the services depend on
// these, never on the database handle; repositories/db implements them with Kysely (SQLite, PostgreSQL).
import type { HistoryEntry } from '../domain/history.js';
import type { Consent, Image, Instance, InstanceState, Member, MemberStatus } from '../domain/types.js';
import type { Membership } from '../domain/visibility.js';
import type { ImageFilters, KeysetPage, ListedRow, ListScope } from './db/image.repository.js';
import type { ImageRow, NewImageRow } from './db/schema.js';

export interface ImageStore {
  insert(row: NewImageRow): Promise<void>;
  /** True for any image ever created with this ID, deleted or not (IDs are never reused). */
  idExists(id: string): Promise<boolean>;
  /**
   * A live (not deleted) image, or undefined. Any region: an image is "here" for a caller only when
   * domain/access.ts says so (image IDs are unique across regions).
   */
  find(id: string): Promise<ImageRow | undefined>;
  /** As find, and the row stays locked until the transaction ends. */
  findForUpdate(id: string): Promise<ImageRow | undefined>;
  update(id: string, changes: Partial<Omit<ImageRow, 'id'>>): Promise<void>;
  /** Heartbeat of a running upload: only while the upload still holds the image. */
  touchUpload(id: string, uploadId: string, at: string): Promise<void>;
  /** Serializes quota checks of one owner in one region until the transaction ends. */
  lockOwnerRegion(ownerId: string, region: string): Promise<void>;
  /** Images an account owns in a region that count against its quota. */
  countOwned(ownerId: string, region: string): Promise<number>;
  replaceTags(id: string, tags: string[]): Promise<void>;
  addTag(id: string, tag: string): Promise<void>;
  removeTag(id: string, tag: string): Promise<boolean>;
  setProperties(id: string, props: Record<string, string>): Promise<void>;
  removeProperties(id: string, keys: string[]): Promise<void>;
  /** Rows as domain images, with their tags and properties. */
  hydrate(rows: ImageRow[]): Promise<Image[]>;
  /** One page of the images a caller may list (keyset pagination), each with the relation it is listed through. */
  listPage(scope: ListScope, filters: ImageFilters, page: KeysetPage): Promise<ListedRow[]>;
  /** How many images listPage would walk through in all. */
  count(scope: ListScope, filters: ImageFilters): Promise<number>;
}

export interface MemberStore {
  find(imageId: string, memberId: string): Promise<Member | undefined>;
  /** Members in the order they were added. */
  listForImage(imageId: string): Promise<Member[]>;
  countForImage(imageId: string): Promise<number>;
  insert(member: Member): Promise<void>;
  setStatus(imageId: string, memberId: string, status: MemberStatus, updatedAt: string): Promise<void>;
  /** The owner's terms of a share: its end time and what the receiver may do. */
  setTerms(
    imageId: string,
    memberId: string,
    terms: Pick<Member, 'expiresAt' | 'access'>,
    updatedAt: string,
  ): Promise<void>;
  /** Removes the members given; returns how many there were. */
  delete(imageId: string, memberIds: string[]): Promise<number>;
  deleteAllForImage(imageId: string): Promise<void>;
}

export interface InstanceStore {
  /** Serializes the per-account instance limit check until the transaction ends. */
  lockAccount(accountId: string): Promise<void>;
  insertMany(instances: Instance[]): Promise<void>;
  idExists(id: string): Promise<boolean>;
  countActive(accountId: string): Promise<number>;
  list(
    accountId: string,
    region: string,
    options: { ids?: string[]; offset: number; limit: number },
  ): Promise<{ instances: Instance[]; total: number }>;
  find(id: string, accountId: string, region: string): Promise<Instance | undefined>;
  setState(ids: string[], state: InstanceState, at: string): Promise<void>;
  countForImage(imageId: string): Promise<number>;
}

/** The history of image changes: written inside the transaction of the change it records. */
export interface HistoryStore {
  insert(entry: HistoryEntry): Promise<void>;
  /** Entries naming the account (owner, actor or target), newest first, with the total. */
  listVisibleTo(
    accountId: string,
    page: { offset: number; limit: number },
  ): Promise<{ entries: HistoryEntry[]; total: number }>;
  /** Every entry about one image, oldest first. */
  listForImage(imageId: string): Promise<HistoryEntry[]>;
}

/** The consent settings: per image, and each owner's default for its images (null: not set). */
export interface ConsentStore {
  /** The image's own setting and its owner's default, as stored. */
  settingsOf(imageId: string): Promise<{ image: Consent | null; ownerDefault: Consent | null }>;
  setForImage(imageId: string, consent: Consent | null): Promise<void>;
  ownerDefault(accountId: string): Promise<Consent | null>;
  setOwnerDefault(accountId: string, consent: Consent | null): Promise<void>;
}

/** Live usage of an image by one receiving account. */
export interface LaunchStats {
  launches: number;
  running: number;
  /** When it last launched an instance from the image, or null. */
  lastLaunchAt: string | null;
}

/** Counts shown beside images and shares, one query per page. */
export interface ShareStatsStore {
  /** How many accounts each image is shared with (images without shares are absent). */
  shareCounts(imageIds: string[]): Promise<Map<string, number>>;
  /** The account's share (status and terms) on each of the images it is a member of. */
  membershipsOf(accountId: string, imageIds: string[]): Promise<Map<string, Membership>>;
  /** Instances launched from an image per launching account: all, those still running, the last launch. */
  launchesPerAccount(imageId: string): Promise<Map<string, LaunchStats>>;
}

/** The stores over one executor: all of them see the same transaction. */
export interface ImageStores {
  images: ImageStore;
  members: MemberStore;
  instances: InstanceStore;
  history: HistoryStore;
  shareStats: ShareStatsStore;
  consent: ConsentStore;
}

/** Access to the stores, outside a transaction or inside one. */
export interface ImageUnitOfWork {
  /** Stores outside any transaction: reads, and writes that are one statement. */
  readonly stores: ImageStores;
  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  transaction<T>(work: (stores: ImageStores) => Promise<T>): Promise<T>;
}
