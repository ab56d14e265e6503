// Table types for Kysely. Both databases store the same shapes:
// - timestamps are ISO-8601 UTC strings with milliseconds ("2026-11-25T07:51:58.123Z"), which sort as text;
// - booleans are integers 0/1 (SQLite has no boolean type);
// - byte counts are bigint in PostgreSQL, parsed to numbers by database.ts (exact up to 2^53 bytes).
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface AccountsTable {
  id: string; // numeric string, e.g. "909619400"
  name: string; // unique; also the Keystone user and project name
  password_hash: string;
  is_admin: number;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
  /** The consent the account's images ask for unless an image sets its own (0020); null: the default. */
  default_consent: string | null;
}

export interface TokensTable {
  token_hash: string; // sha256 of the token; the token itself is never stored
  account_id: string;
  audit_id: string;
  methods: string; // comma list
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** Counters of failed logins per key (account:<id> or addr:<ip>) within a fixed window. */
export interface LoginFailuresTable {
  key: string;
  window_start: string;
  failures: number;
}

export interface ApiKeysTable {
  secret_id: string;
  account_id: string;
  secret_key_encrypted: string; // AES-256-GCM; HMAC signatures need the secret itself, so it cannot be hashed
  created_at: string;
  disabled_at: string | null;
}

/** Nonces seen on signed Tencent requests, to refuse replays while their timestamp is still acceptable. */
export interface UsedNoncesTable {
  secret_id: string;
  nonce: string;
  seen_at: string;
}

/** Each TC3 signature seen, bound to the action, region and version it was first used with. */
export interface Tc3SignatureBindingsTable {
  signature: string;
  /** action, region and version joined by newlines */
  binding: string;
  seen_at: string;
}

export interface ImagesTable {
  id: string; // img-xxxxxxxx; rows are soft-deleted so an ID is never reused
  owner_id: string;
  region: string;
  name: string | null;
  description: string | null;
  status: string;
  visibility: string;
  protected: number;
  os_hidden: number;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  blob_key: string | null;
  /** For copies: the image this one was copied from (Tencent SyncImages / CreateImage). */
  source_image_id: string | null;
  /** The upload that holds the image in "saving", and when it last showed it is alive (0002). */
  upload_id: string | null;
  upload_heartbeat_at: string | null;
  /** listing | launch, or null for the owner's default (0020). */
  consent: string | null;
  /** Deprecation (0060): when, the replacement offered, and the instant new launches are refused from. */
  deprecated_at: string | null;
  obsolete_at: string | null;
  replacement_image_id: string | null;
  /** Disabled (0060): every share suspended while set. */
  disabled_at: string | null;
  /** In the recycle bin (0060): purged for good from this instant; the status a restore returns to. */
  purge_after: string | null;
  binned_from: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface ImagePropertiesTable {
  image_id: string;
  key: string;
  value: string;
}

export interface ImageTagsTable {
  image_id: string;
  tag: string;
}

export interface ImageMembersTable {
  image_id: string;
  member_id: string;
  status: string; // pending | accepted | rejected
  /** The share grants nothing from this instant (0020); null: no end. */
  expires_at: string | null;
  access: Generated<string>; // launch | launch_and_copy (0020; default launch)
  /**
   * The image's created_at, copied when the share is made (0080): the member index orders a receiver's
   * shares by it, so its list reads them newest first. MemberRepository.insert fills it; null only for a row
   * inserted another way, which then lists out of order.
   */
  image_created_at: string | null;
  /** The end time the last "expiring soon" event was about (0050); null: none sent. */
  expiry_noticed_for: Generated<string | null>;
  created_at: string;
  updated_at: string;
  /** The end time whose "expire" history entry is written (0070); null: none yet. */
  end_recorded_at?: string | null;
}

export interface InstancesTable {
  id: string; // ins-xxxxxxxx
  account_id: string;
  image_id: string;
  region: string;
  name: string;
  state: string; // RUNNING | TERMINATED
  created_at: string;
  updated_at: string;
  terminated_at: string | null;
}

/** Web console sessions (0003): only the sha256 of the session token is stored. */
export interface ConsoleSessionsTable {
  token_hash: string;
  account_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  client_address: string | null;
  /** Last use (0030); null for sessions from before it. */
  last_seen_at: string | null;
}

/** The audit trail of image changes (0003), written in the transaction of the change. */
export interface HistoryEventsTable {
  id: string;
  at: string;
  action: string;
  image_id: string;
  image_name: string | null;
  owner_id: string;
  region: string;
  actor_id: string;
  target_account_id: string | null;
  surface: string;
  client_address: string | null;
  details: string; // JSON object of strings
}

/** Account groups (0040): an owner's named group of other accounts. */
export interface AccountGroupsTable {
  id: string; // grp-xxxxxxxx
  owner_id: string;
  name: string; // unique per owner
  description: Generated<string>;
  created_at: string;
  updated_at: string;
}

export interface AccountGroupMembersTable {
  group_id: string;
  account_id: string;
  added_at: string;
}

/** A share of an image with a group (0040): one place in the image's limit, the terms of a direct share. */
export interface ImageGroupSharesTable {
  image_id: string;
  group_id: string;
  expires_at: string | null;
  access: Generated<string>;
  created_at: string;
  updated_at: string;
}

/** A receiver's answer to an image that reaches it through groups (0040): pending | accepted | rejected. */
export interface GroupShareConsentsTable {
  image_id: string;
  account_id: string;
  status: string;
  updated_at: string;
}

/** An account's launch policy (0070): mode off | audit | enforce, allowed_owners a JSON array of IDs. */
export interface LaunchPoliciesTable {
  account_id: string;
  mode: string;
  allowed_owners: string;
  updated_at: string;
}

/** A launch an `audit` launch policy would have refused (0070), read by the launching account. */
export interface LaunchAuditTable {
  id: string;
  account_id: string;
  at: string;
  image_id: string;
  image_name: string | null;
  owner_id: string;
  region: string;
  visibility: string;
  instances: number;
  surface: string;
}

/** Notifications (0050): each event once, written in the transaction of its change. */
export interface NotificationEventsTable {
  id: string;
  type: string;
  at: string;
  image_id: string;
  image_name: string | null;
  region: string;
  owner_id: string;
  actor_id: string;
  target_account_id: string | null;
  details: string; // JSON object of strings
}

/** One row per account an event concerns (0050). */
export interface NotificationInboxTable {
  account_id: string;
  event_id: string;
  at: string;
  read_at: string | null;
}

/** Per-account webhooks (0050): the signing secret sealed with the master key (AAD: the webhook ID). */
export interface WebhooksTable {
  id: string;
  account_id: string;
  url: string;
  description: string;
  secret_sealed: string;
  created_at: string;
}

/** One row per (webhook, event) to deliver (0050); next_attempt_at doubles as a claim's lease. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  account_id: string;
  state: string; // pending | delivered | failed
  attempts: Generated<number>;
  next_attempt_at: string;
  claim: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

export interface Database {
  accounts: AccountsTable;
  tokens: TokensTable;
  login_failures: LoginFailuresTable;
  api_keys: ApiKeysTable;
  used_nonces: UsedNoncesTable;
  tc3_signature_bindings: Tc3SignatureBindingsTable;
  images: ImagesTable;
  image_properties: ImagePropertiesTable;
  image_tags: ImageTagsTable;
  image_members: ImageMembersTable;
  instances: InstancesTable;
  console_sessions: ConsoleSessionsTable;
  history_events: HistoryEventsTable;
  account_groups: AccountGroupsTable;
  account_group_members: AccountGroupMembersTable;
  image_group_shares: ImageGroupSharesTable;
  group_share_consents: GroupShareConsentsTable;
  launch_policies: LaunchPoliciesTable;
  launch_audit: LaunchAuditTable;
  notification_events: NotificationEventsTable;
  notification_inbox: NotificationInboxTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type AccountRow = Selectable<AccountsTable>;
export type NewAccountRow = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type ImageRow = Selectable<ImagesTable>;
export type NewImageRow = Insertable<ImagesTable>;
export type ImageUpdate = Updateable<ImagesTable>;
export type MemberRow = Selectable<ImageMembersTable>;
export type InstanceRow = Selectable<InstancesTable>;
export type TokenRow = Selectable<TokensTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type HistoryEventRow = Selectable<HistoryEventsTable>;
