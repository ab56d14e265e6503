// Request and response schemas of the console API, in TypeBox: Fastify validates requests and serializes
// answers with them, and the OpenAPI document is generated from them (one description, no drift).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { historyActions, surfaces } from '../../domain/history.js';
import { consentLevels, shareAccesses } from '../../domain/types.js';
import { MAX_PASSWORD_LENGTH } from '../../services/passwords.js';

const Nullable = <T extends TSchema>(schema: T, options: { description?: string } = {}) =>
  Type.Union([schema, Type.Null()], options);
/** A string enum (plain JSON Schema `enum`, so the OpenAPI document shows it as one). */
const literals = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

export const AccountId = Type.String({ pattern: '^[1-9][0-9]{4,19}$', description: 'numeric account ID' });
export const ImageId = Type.String({ minLength: 1, maxLength: 64, description: 'image ID, img-xxxxxxxx' });
const Region = Type.String({ minLength: 1, maxLength: 64 });
const Timestamp = Type.String({ description: 'ISO-8601 UTC' });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
    }),
  },
  { $id: 'ConsoleError' },
);

export const AccountView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  isAdmin: Type.Boolean(),
  createdAt: Timestamp,
});

export const SessionAnswer = Type.Object({ account: AccountView, csrfToken: Type.String() });

export const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 255, description: 'account ID or account name' }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false },
);

export const PasswordChangeBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
    newPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false },
);

export const ApiKeyView = Type.Object({
  secretId: Type.String(),
  enabled: Type.Boolean(),
  createdAt: Timestamp,
});
export const NewApiKeyView = Type.Object({
  secretId: Type.String(),
  secretKey: Type.String({ description: 'shown here only, once' }),
  enabled: Type.Boolean(),
  createdAt: Timestamp,
});
export const SecretIdParams = Type.Object({ secretId: Type.String({ minLength: 1, maxLength: 64 }) });

export const RegionsAnswer = Type.Object({
  regions: Type.Array(Type.Object({ id: Type.String(), isDefault: Type.Boolean() })),
  /** How long a deleted image stays in the recycle bin; 0: deleted at once. */
  recycleBinDays: Type.Integer(),
});

export const memberStatusValues = ['pending', 'accepted', 'rejected'] as const;

export const ImageView = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  status: Type.String(),
  size: Nullable(Type.Integer()),
  diskFormat: Nullable(Type.String()),
  containerFormat: Nullable(Type.String()),
  visibility: Type.String(),
  region: Type.String(),
  ownerId: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  checksum: Nullable(Type.String({ description: 'MD5 of the data' })),
  sha512: Nullable(Type.String()),
  shareCount: Nullable(Type.Integer({ description: 'custom images: accounts it is shared with' })),
  shareStatus: Nullable(literals(memberStatusValues)),
  shareExpiresAt: Nullable(Timestamp),
  shareAccess: Nullable(literals(shareAccesses)),
  isOwner: Type.Boolean(),
  // Lifecycle (issue 12): shown to receivers too, except `disabled` and `protected` (the owner's matters).
  deprecatedAt: Nullable(Timestamp),
  replacementImageId: Nullable(Type.String()),
  obsoleteAt: Nullable(Timestamp),
  disabled: Type.Boolean(),
  protected: Type.Boolean(),
  /** In the recycle bin: when it was deleted and the instant it is purged for good. */
  deletedAt: Nullable(Timestamp),
  purgeAfter: Nullable(Timestamp),
});

const Page = Type.Integer({ minimum: 1, default: 1 });
const PageSize = Type.Integer({ minimum: 1, maximum: 100, default: 20 });
const paged = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    page: Type.Integer(),
    pageSize: Type.Integer(),
  });

export const ImagesQuery = Type.Object(
  {
    region: Type.Optional(Region),
    kind: Type.Optional(literals(['custom', 'shared', 'public'] as const)),
    search: Type.Optional(Type.String({ maxLength: 255 })),
    sort: Type.Optional(literals(['name', 'createdAt', 'size', 'status'] as const)),
    order: Type.Optional(literals(['asc', 'desc'] as const)),
    page: Type.Optional(Page),
    pageSize: Type.Optional(PageSize),
  },
  { additionalProperties: false },
);
export const ImagesPage = paged(ImageView);

/** Image routes take an optional region; without it the image is looked up in every region. */
export const RegionQuery = Type.Object({ region: Type.Optional(Region) }, { additionalProperties: false });
export const ImageParams = Type.Object({ id: ImageId });

export const NewImageBody = Type.Object(
  {
    region: Region,
    name: Type.String({ minLength: 1, maxLength: 255 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    diskFormat: Type.String({ minLength: 1, maxLength: 32 }),
    containerFormat: Type.String({ minLength: 1, maxLength: 32 }),
  },
  { additionalProperties: false },
);

export const ImagePatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    /** Deletion protection: while set, deleting is refused on every API. */
    protected: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Deprecate an image: a replacement image (in its region) and a date after which new launches are refused. */
export const DeprecateBody = Type.Object(
  {
    replacementImageId: Type.Optional(Nullable(Type.String({ pattern: '^img-[a-z0-9]{8}$' }))),
    obsoleteAt: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  },
  { additionalProperties: false },
);

export const RecycleBinQuery = Type.Object(
  {
    region: Type.Optional(Region),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export const CopyBody = Type.Object(
  { targetRegion: Region, name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) },
  { additionalProperties: false },
);

const ExpiresAt = Nullable(
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'the share grants nothing from this instant (ISO-8601 with a zone); null: no end',
  }),
);
const Access = literals(shareAccesses);
const ConsentValue = literals(consentLevels);

/** The image's shares with the owner's groups (issue 12): one place each in the limit. */
const GroupShares = Type.Array(
  Type.Object({
    groupId: Type.String(),
    groupName: Type.String(),
    size: Type.Integer({ description: 'accounts in the group now' }),
    expiresAt: Nullable(Timestamp),
    access: Access,
    live: Type.Boolean(),
    createdAt: Timestamp,
  }),
);

export const SharesPanel = Type.Object({
  limit: Type.Integer(),
  used: Type.Integer({ description: 'live shares (a share past its end holds no place)' }),
  consent: ConsentValue,
  consentSetting: Nullable(ConsentValue, { description: "null: the owner's default applies" }),
  shares: Type.Array(
    Type.Object({
      accountId: Type.String(),
      status: literals(memberStatusValues),
      expiresAt: Nullable(Timestamp),
      access: Access,
      live: Type.Boolean({ description: 'false once past expiresAt' }),
      createdAt: Timestamp,
      updatedAt: Timestamp,
      launches: Type.Integer(),
      runningInstances: Type.Integer(),
      lastLaunchAt: Nullable(Timestamp),
    }),
  ),
  groups: GroupShares,
});

// --- account groups (issue 12) ---
export const GroupView = Type.Object({
  id: Type.String({ description: 'grp-xxxxxxxx' }),
  name: Type.String(),
  description: Type.String(),
  size: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const GroupList = Type.Object({
  groups: Type.Array(GroupView),
  total: Type.Integer(),
  maxGroups: Type.Integer(),
  maxMembersPerGroup: Type.Integer(),
});
export const GroupParams = Type.Object({ groupId: Type.String({ minLength: 1, maxLength: 32 }) });
export const GroupMemberParams = Type.Object({
  groupId: Type.String({ minLength: 1, maxLength: 32 }),
  accountId: Type.String({ minLength: 1, maxLength: 32 }),
});
export const GroupBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);
export const GroupUpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    description: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const GroupMembersBody = Type.Object(
  { accountIds: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);
export const GroupDetail = Type.Object({
  group: GroupView,
  members: Type.Array(Type.Object({ accountId: Type.String(), addedAt: Timestamp })),
  images: Type.Array(Type.Object({ imageId: Type.String(), expiresAt: Nullable(Timestamp) })),
});

export const ShareTermsBody = Type.Object(
  { expiresAt: Type.Optional(ExpiresAt), access: Type.Optional(Access) },
  { additionalProperties: false, minProperties: 1 },
);
export const ConsentBody = Type.Object(
  { consent: Nullable(ConsentValue, { description: "null: use the owner's default" }) },
  { additionalProperties: false },
);
export const SharingDefaults = Type.Object({
  consent: Nullable(ConsentValue, { description: "null: the service's default (listing)" }),
  effectiveConsent: ConsentValue,
});
export const SharingDefaultsBody = Type.Object(
  { consent: Nullable(ConsentValue) },
  { additionalProperties: false },
);
export const ShareCheckBody = Type.Object(
  {
    accountIds: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

export const shareOutcomes = [
  'shared',
  'alreadyShared',
  'unknownAccount',
  'self',
  'limitReached',
  'invalid',
] as const;
export const ShareBody = Type.Object(
  {
    accountIds: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 50 }),
    expiresAt: Type.Optional(ExpiresAt),
    access: Type.Optional(Access),
  },
  { additionalProperties: false },
);
export const ShareCheckResults = Type.Object({
  results: Type.Array(
    Type.Object({
      accountId: Type.String(),
      ok: Type.Boolean(),
      outcome: literals(shareOutcomes),
      message: Type.String(),
    }),
  ),
});
export const ShareResults = Type.Object({
  results: Type.Array(
    Type.Object({ accountId: Type.String(), outcome: literals(shareOutcomes), message: Type.String() }),
  ),
  used: Type.Integer(),
  limit: Type.Integer(),
});
export const ShareParams = Type.Object({
  id: ImageId,
  accountId: Type.String({ minLength: 1, maxLength: 32 }),
});

export const SharedParams = Type.Object({ imageId: ImageId });
export const ShareStatusBody = Type.Object(
  { status: literals(['accepted', 'rejected'] as const) },
  { additionalProperties: false },
);

export const InstanceView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  imageId: Type.String(),
  imageName: Nullable(Type.String()),
  region: Type.String(),
  state: literals(['RUNNING', 'TERMINATED'] as const),
  createdAt: Timestamp,
  terminatedAt: Nullable(Timestamp),
});
export const InstancesQuery = Type.Object(
  { region: Type.Optional(Region), page: Type.Optional(Page), pageSize: Type.Optional(PageSize) },
  { additionalProperties: false },
);
export const InstancesPage = paged(InstanceView);
export const NewInstanceBody = Type.Object(
  { region: Region, imageId: ImageId, name: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export const InstanceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const HistoryEntryView = Type.Object({
  id: Type.String(),
  at: Timestamp,
  action: literals(historyActions),
  imageId: Type.String(),
  imageName: Nullable(Type.String()),
  ownerId: Type.String(),
  actorId: Type.String(),
  targetAccountId: Nullable(Type.String()),
  surface: literals(surfaces),
  region: Type.String(),
  details: Type.Record(Type.String(), Type.String()),
});
export const HistoryQuery = Type.Object(
  { page: Type.Optional(Page), pageSize: Type.Optional(PageSize) },
  { additionalProperties: false },
);
export const HistoryPage = paged(HistoryEntryView);

export type ImageViewT = Static<typeof ImageView>;
export type InstanceViewT = Static<typeof InstanceView>;
export type HistoryEntryViewT = Static<typeof HistoryEntryView>;
