// What the image, share and instance services need from storage, as interfaces: the services depend on
// these, never on the database handle; repositories/db implements them with Kysely (SQLite, PostgreSQL).
import type { LaunchAuditEntry, LaunchPolicy } from '../domain/guardrails.js';
import type { HistoryEntry } from '../domain/history.js';
import type { Group, GroupMember } from '../domain/groups.js';
import type { NotificationEvent } from '../domain/notifications.js';
import type {
  Consent,
  Image,
  Instance,
  InstanceState,
  Member,
  MemberStatus,
  ShareAccess,
} from '../domain/types.js';
import type { GroupShareTerms, Membership } from '../domain/visibility.js';
import type {
  ImageFilters,
  KeysetPage,
  ListedImagesPage,
  ListedRow,
  ListScope,
} from './db/image.repository.js';
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
  /** An image in the recycle bin (deleted, status pending_delete), locked until the transaction ends. */
  findBinnedForUpdate(id: string): Promise<ImageRow | undefined>;
  /** An owner's binned images in a region whose retention runs past `now`, newest deletion first. */
  listBinned(
    ownerId: string,
    region: string,
    now: string,
    page: { offset: number; limit: number },
  ): Promise<{ rows: ImageRow[]; total: number }>;
  /** IDs of binned images whose retention ended by `now`, the longest overdue first. */
  binnedDue(now: string, limit: number): Promise<string[]>;
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
  /**
   * listPage and hydrate (and, with `withTotal`, count) in one database round trip; `offset` skips rows of
   * the list (offset paging).
   */
  listImages(
    scope: ListScope,
    filters: ImageFilters,
    page: KeysetPage & { offset?: number; withTotal?: boolean },
  ): Promise<ListedImagesPage>;
  /** How many images listPage would walk through in all. */
  count(scope: ListScope, filters: ImageFilters): Promise<number>;
}

export interface MemberStore {
  find(imageId: string, memberId: string): Promise<Member | undefined>;
  /** Members in the order they were added. */
  listForImage(imageId: string): Promise<Member[]>;
  /** Each member's end time, in no order: what the share limit and the duplicate check read. */
  endsForImage(imageId: string): Promise<Array<Pick<Member, 'memberId' | 'expiresAt'>>>;
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
  /** How many shares each image has, accounts and groups (images without shares are absent). */
  shareCounts(imageIds: string[]): Promise<Map<string, number>>;
  /** The account's share (status and terms) on each image it holds one of, directly or through groups. */
  membershipsOf(accountId: string, imageIds: string[], now: string): Promise<Map<string, Membership>>;
  /** Instances launched from an image per launching account: all, those still running, the last launch. */
  launchesPerAccount(imageId: string): Promise<Map<string, LaunchStats>>;
}

/** A share of an image with a group, as its owner sees it (the group's name and size beside it). */
export interface GroupShare {
  imageId: string;
  groupId: string;
  groupName: string;
  /** How many accounts the group holds now. */
  size: number;
  expiresAt: string | null;
  access: ShareAccess;
  createdAt: string;
  updatedAt: string;
}

/** Account groups (issue 12): the groups, their members, shares with groups, receivers' answers to them. */
export interface GroupStore {
  /** Serializes one owner's group creations and renames until the transaction ends. */
  lockOwner(ownerId: string): Promise<void>;
  countOwned(ownerId: string): Promise<number>;
  insert(group: Group): Promise<void>;
  find(id: string): Promise<Group | null>;
  /** As find, and the group's row stays locked until the transaction ends. */
  findForUpdate(id: string): Promise<Group | null>;
  findByName(ownerId: string, name: string): Promise<Group | null>;
  listOwned(
    ownerId: string,
    page: { offset: number; limit: number },
  ): Promise<{ groups: Group[]; total: number }>;
  update(id: string, changes: { name: string; description: string }, at: string): Promise<void>;
  /** Removes the group, its members and its shares; returns the images it was shared with. */
  delete(id: string): Promise<string[]>;
  members(groupId: string): Promise<GroupMember[]>;
  sizes(groupIds: string[]): Promise<Map<string, number>>;
  addMembers(groupId: string, accountIds: string[], at: string): Promise<void>;
  removeMembers(groupId: string, accountIds: string[]): Promise<number>;
  sharesOfImage(imageId: string): Promise<GroupShare[]>;
  imagesSharedWith(groupId: string): Promise<Array<{ imageId: string; expiresAt: string | null }>>;
  insertShare(share: Omit<GroupShare, 'groupName' | 'size'>): Promise<void>;
  setShareTerms(imageId: string, groupId: string, terms: GroupShareTerms, updatedAt: string): Promise<void>;
  deleteShares(imageId: string, groupIds: string[]): Promise<number>;
  /** The image's group shares and receivers' answers to them. */
  deleteAllSharesOfImage(imageId: string): Promise<void>;
  /** For each image, the terms of its shares with groups the account belongs to (live or not). */
  sharesReaching(accountId: string, imageIds: string[]): Promise<Map<string, GroupShareTerms[]>>;
  /** The account's answer to each image's group shares, where it gave one. */
  consentsOf(accountId: string, imageIds: string[]): Promise<Map<string, MemberStatus>>;
  setConsent(imageId: string, accountId: string, status: MemberStatus, at: string): Promise<void>;
}

/** An event in one account's inbox. */
export interface InboxEntry {
  event: NotificationEvent;
  readAt: string | null;
}

export interface WebhookRecord {
  id: string;
  accountId: string;
  url: string;
  description: string;
  /** The signing secret, sealed (services/secret-box.ts); opened only to sign a delivery. */
  secretSealed: string;
  createdAt: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: string;
  webhookId: string;
  eventId: string;
  accountId: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** A delivery a dispatcher claimed: the row, its event, and where to send it. */
export interface ClaimedDelivery {
  delivery: DeliveryRecord;
  claim: string;
  event: NotificationEvent;
  webhook: WebhookRecord;
}

/** A share whose "expiring soon" event may be due. */
export interface ExpiringShare {
  imageId: string;
  memberId: string;
  expiresAt: string;
  noticedFor: string | null;
}

/**
 * Notifications (issue 12): the outbox (events, inboxes and webhook deliveries, written in the transaction
 * of the change that causes them), the inbox reads, webhooks and the dispatchers' claims.
 */
export interface NotificationStore {
  /**
   * Writes the event once, an inbox row for each account of `audience` (already read for `readBy`, the
   * account that caused it), and a pending delivery for every webhook of those accounts, due at `event.at`.
   */
  record(
    event: NotificationEvent,
    audience: string[],
    readBy: string | null,
    deliveryIds: () => string,
  ): Promise<void>;
  /** One page of an account's inbox, newest first, after the entry `marker` (an event ID) when given. */
  inboxPage(
    accountId: string,
    page: { marker?: string; limit: number; unreadOnly: boolean },
  ): Promise<{ entries: InboxEntry[]; markerFound: boolean }>;
  unreadCount(accountId: string): Promise<number>;
  inboxEntry(accountId: string, eventId: string): Promise<InboxEntry | undefined>;
  /** Sets or clears the read mark; false when the account has no such entry. */
  markRead(accountId: string, eventId: string, readAt: string | null): Promise<boolean>;
  /** Marks every unread entry read; returns how many. */
  markAllRead(accountId: string, readAt: string): Promise<number>;

  insertWebhook(webhook: WebhookRecord): Promise<void>;
  /** Serializes webhook registrations of one account (the per-account limit) until the transaction ends. */
  lockAccountWebhooks(accountId: string): Promise<void>;
  countWebhooks(accountId: string): Promise<number>;
  listWebhooks(accountId: string): Promise<WebhookRecord[]>;
  findWebhook(accountId: string, webhookId: string): Promise<WebhookRecord | undefined>;
  /** Removes the webhook and its deliveries not yet made; false when the account has no such webhook. */
  deleteWebhook(accountId: string, webhookId: string): Promise<boolean>;
  /** One page of a webhook's deliveries, newest first, after the delivery `marker` when given. */
  deliveriesPage(
    webhookId: string,
    page: { marker?: string; limit: number },
  ): Promise<{ deliveries: DeliveryRecord[]; markerFound: boolean }>;

  /**
   * Claims up to `limit` pending deliveries due at `now` (PostgreSQL: rows locked by another node's claim are
   * skipped): each gets the claim token, one more attempt, and its next attempt moved to `leaseUntil`, so a
   * node that dies holding it lets it come due again. Call inside a transaction.
   */
  claimDue(now: string, leaseUntil: string, limit: number, claim: string): Promise<ClaimedDelivery[]>;
  /** Whether any pending delivery is due at `now` (a plain read, before taking a claim's write lock). */
  hasDue(now: string): Promise<boolean>;
  markDelivered(deliveryId: string, at: string, status: number): Promise<void>;
  /** After a failed attempt: retry at `retryAt`, or give up (`retryAt` null: state `failed`). */
  markAttemptFailed(
    deliveryId: string,
    at: string,
    failure: { status: number | null; error: string },
    retryAt: string | null,
  ): Promise<void>;
  /** Pending deliveries (the outbox backlog). */
  countPending(): Promise<number>;

  /**
   * Removes what happened before `cutoff`: inbox entries, finished deliveries, and the events nothing refers to
   * any more (a pending delivery keeps its event). Returns how many inbox entries went.
   */
  purgeBefore(cutoff: string): Promise<number>;
  /** Live shares ending at or before `until`, whose end is after `now`. */
  sharesEndingBy(now: string, until: string, limit: number): Promise<ExpiringShare[]>;
  /**
   * Records that the "expiring soon" event for this end time is being sent: true for the one caller that
   * changed the mark (others, and a repeat, get false).
   */
  claimExpiryNotice(imageId: string, memberId: string, expiresAt: string): Promise<boolean>;
}

/** The stores over one executor: all of them see the same transaction. */
export interface ImageStores {
  images: ImageStore;
  members: MemberStore;
  instances: InstanceStore;
  history: HistoryStore;
  shareStats: ShareStatsStore;
  consent: ConsentStore;
  groups: GroupStore;
  launchPolicies: LaunchPolicyStore;
  shareEnds: ShareEndStore;
  notifications: NotificationStore;
}

/** Access to the stores, outside a transaction or inside one. */
export interface ImageUnitOfWork {
  /** Stores outside any transaction: reads, and writes that are one statement. */
  readonly stores: ImageStores;
  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  transaction<T>(work: (stores: ImageStores) => Promise<T>): Promise<T>;
}

/** Receivers' launch policies and the launches an `audit` policy would have refused (issue 12 guardrails). */
export interface LaunchPolicyStore {
  /** The account's policy as set, or undefined when it never set one (mode off). */
  get(accountId: string): Promise<LaunchPolicy | undefined>;
  set(accountId: string, policy: LaunchPolicy, at: string): Promise<void>;
  recordAudit(entry: LaunchAuditEntry): Promise<void>;
  /** The account's audit records, newest first, with the total. */
  listAudit(
    accountId: string,
    page: { offset: number; limit: number },
  ): Promise<{ entries: LaunchAuditEntry[]; total: number }>;
}

/** A share past its end time whose end is not in the history yet, with the image facts the entry keeps. */
export interface EndedShare {
  imageId: string;
  imageName: string | null;
  ownerId: string;
  region: string;
  memberId: string;
  expiresAt: string;
}

/** Shares that ended by their end time, so that the history shows each end once (services/share-ends.ts). */
export interface ShareEndStore {
  /** Ended shares (expires_at <= now) of one image, or naming one account (owner or receiver), not yet recorded. */
  unrecorded(scope: { imageId: string } | { accountId: string }, now: string): Promise<EndedShare[]>;
  /** Marks the end `expiresAt` recorded; false when it was already (another request recorded it first). */
  markRecorded(imageId: string, memberId: string, expiresAt: string): Promise<boolean>;
}
