// JSON schemas served at /v2/schemas/... (spec §1.7). glanceclient builds its models from `image` and
// `member` and validates what it sends and what it reads back, so the image schema describes every field
// imageshare emits, with our ID pattern, formats and enums. The metadefs schemas are static documents
// (Tempest reads their names); imageshare has no metadefs API.
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import {
  CONTAINER_FORMATS,
  DISK_FORMATS,
  MAX_NAME_LENGTH,
  MAX_TAG_LENGTH,
} from '../../domain/image-fields.js';
import { IMAGE_ID_PATTERN } from '../../domain/ids.js';
import { imageStatuses, memberStatuses, shareAccesses, visibilities } from '../../domain/types.js';

// The image and member schemas are TypeBox values: the document served is the JSON Schema underneath (TypeBox's
// own markers are symbols, which JSON leaves out), and the same objects validate request bodies (images.routes.ts,
// patch.ts, members.routes.ts), so what clients are told and what the server checks cannot drift apart.

/** A property that may be a string or null, written as Glance writes it (`"type": ["null", "string"]`). */
const nullableString = (description: string, extra: Record<string, unknown> = {}): TUnsafe<string | null> =>
  Type.Unsafe<string | null>({ type: ['null', 'string'], description, ...extra });

const optional = <T extends TSchema>(schema: T) => Type.Optional(schema);

const imageProperties = {
  id: optional(Type.String({ description: 'An identifier for the image', pattern: IMAGE_ID_PATTERN.source })),
  name: optional(nullableString('Descriptive name for the image', { maxLength: MAX_NAME_LENGTH })),
  status: optional(
    Type.Unsafe<string>({
      type: 'string',
      readOnly: true,
      description: 'Status of the image',
      enum: [...imageStatuses],
    }),
  ),
  visibility: optional(
    Type.Unsafe<(typeof visibilities)[number]>({
      type: 'string',
      description: 'Scope of image accessibility',
      enum: [...visibilities],
    }),
  ),
  protected: optional(Type.Boolean({ description: 'If true, image will not be deletable.' })),
  os_hidden: optional(
    Type.Boolean({ description: 'If true, image will not appear in default image list response.' }),
  ),
  checksum: optional(nullableString('md5 hash of image contents.', { readOnly: true, maxLength: 32 })),
  os_hash_algo: optional(
    nullableString('Algorithm to calculate the os_hash_value', { readOnly: true, maxLength: 64 }),
  ),
  os_hash_value: optional(
    nullableString('Hexdigest of the image contents using the algorithm specified by the os_hash_algo', {
      readOnly: true,
      maxLength: 128,
    }),
  ),
  owner: optional(nullableString('Owner of the image', { maxLength: 255 })),
  size: optional(
    Type.Unsafe<number | null>({
      type: ['null', 'integer'],
      readOnly: true,
      description: 'Size of image file in bytes',
    }),
  ),
  virtual_size: optional(
    Type.Unsafe<number | null>({
      type: ['null', 'integer'],
      readOnly: true,
      description: 'Virtual size of image in bytes',
    }),
  ),
  container_format: optional(
    nullableString('Format of the container', { enum: [null, ...CONTAINER_FORMATS] }),
  ),
  disk_format: optional(nullableString('Format of the disk', { enum: [null, ...DISK_FORMATS] })),
  created_at: optional(Type.String({ readOnly: true, description: 'Date and time of image registration' })),
  updated_at: optional(
    Type.String({ readOnly: true, description: 'Date and time of the last image modification' }),
  ),
  tags: optional(
    Type.Array(Type.String({ maxLength: MAX_TAG_LENGTH }), {
      description: 'List of strings related to the image',
    }),
  ),
  min_ram: optional(Type.Integer({ description: 'Amount of ram (in MB) required to boot image.' })),
  min_disk: optional(Type.Integer({ description: 'Amount of disk space (in GB) required to boot image.' })),
  self: optional(Type.String({ readOnly: true, description: 'An image self url' })),
  file: optional(Type.String({ readOnly: true, description: 'An image file url' })),
  schema: optional(Type.String({ readOnly: true, description: 'An image schema url' })),
  // Custom properties Glance ships in schema-image.json (not base: clients may remove them). imageshare
  // stores a description as its own column (Tencent's ImageDescription) and accepts null to clear it.
  description: optional(nullableString('A human-readable description of the image', { is_base: false })),
  kernel_id: optional(
    nullableString('ID of image stored in Glance that should be used as the kernel', { is_base: false }),
  ),
  ramdisk_id: optional(
    nullableString('ID of image stored in Glance that should be used as the ramdisk', { is_base: false }),
  ),
  instance_uuid: optional(
    Type.String({
      description: 'Metadata which can be used to record which instance this image is associated with.',
      is_base: false,
    }),
  ),
  architecture: optional(
    Type.String({
      description: 'Operating system architecture as specified in https://docs.openstack.org/',
      is_base: false,
    }),
  ),
  os_distro: optional(
    Type.String({ description: 'Common name of operating system distribution', is_base: false }),
  ),
  os_version: optional(
    Type.String({ description: 'Operating system version as specified by the distributor', is_base: false }),
  ),
};

/**
 * GET /v2/schemas/image, and the schema POST /v2/images bodies and PATCH values are validated against.
 * Extra properties are strings.
 */
export const imageSchema = Type.Object(imageProperties, {
  name: 'image',
  additionalProperties: Type.String(),
  links: [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ],
});

/** A body that passed `imageSchema`. */
export type ImageBody = Static<typeof imageSchema>;

export const imagesSchema = {
  name: 'images',
  properties: {
    images: { type: 'array', items: imageSchema },
    first: { type: 'string' },
    next: { type: 'string' },
    schema: { type: 'string' },
  },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

export const memberSchema = Type.Object(
  {
    member_id: optional(Type.String({ description: 'An identifier for the image member (tenantId)' })),
    image_id: optional(
      Type.String({ description: 'An identifier for the image', pattern: IMAGE_ID_PATTERN.source }),
    ),
    created_at: optional(Type.String({ description: 'Date and time of image member creation' })),
    updated_at: optional(Type.String({ description: 'Date and time of last modification of image member' })),
    status: optional(
      Type.Unsafe<(typeof memberStatuses)[number] | null>({
        type: ['string', 'null'],
        description:
          'The status of this image member (null on a share with an account group: each account answers)',
        enum: [...memberStatuses, null],
      }),
    ),
    // imageshare's extension (docs/api/openstack.md "Share terms").
    expires_at: optional(
      nullableString('imageshare extension: the share grants nothing from this instant; null for no end'),
    ),
    access: optional(
      Type.Unsafe<(typeof shareAccesses)[number]>({
        type: 'string',
        description: 'imageshare extension: what the member may do (launch, or launch_and_copy)',
        enum: [...shareAccesses],
      }),
    ),
    // imageshare's extension (docs/api/openstack.md "Account groups"): a share with one of the owner's groups.
    member_type: optional(
      Type.String({
        description: 'imageshare extension: "group" on a share with an account group',
        enum: ['group'],
      }),
    ),
    group_name: optional(Type.String({ description: 'imageshare extension: the group of a group share' })),
    group_size: optional(Type.Integer({ description: 'imageshare extension: accounts in that group now' })),
    schema: optional(Type.String({ readOnly: true })),
  },
  { name: 'member' },
);

export const membersSchema = {
  name: 'members',
  properties: {
    members: { type: 'array', items: memberSchema },
    schema: { type: 'string' },
  },
  links: [{ rel: 'describedby', href: '{schema}' }],
};

const str = (maxLength?: number) => ({ type: 'string', ...(maxLength ? { maxLength } : {}) });
const stamp = { type: 'string', format: 'date-time', readOnly: true };

const metadefNamespace = {
  name: 'namespace',
  properties: {
    namespace: str(80),
    display_name: str(80),
    description: str(500),
    visibility: { type: 'string', enum: ['public', 'private'] },
    protected: { type: 'boolean' },
    owner: str(255),
    created_at: stamp,
    updated_at: stamp,
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
  },
  required: ['namespace'],
  additionalProperties: false,
};
const metadefResourceType = {
  name: 'resource_type_association',
  properties: {
    name: str(80),
    prefix: str(80),
    properties_target: str(80),
    created_at: stamp,
    updated_at: stamp,
  },
  required: ['name'],
  additionalProperties: false,
};
const metadefObject = {
  name: 'object',
  properties: {
    name: str(80),
    description: { type: 'string' },
    required: { type: 'array', items: { type: 'string' } },
    properties: { type: 'object' },
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
    created_at: stamp,
    updated_at: stamp,
  },
  required: ['name'],
  additionalProperties: false,
};
const metadefProperty = {
  name: 'property',
  properties: {
    name: str(80),
    title: { type: 'string' },
    description: { type: 'string' },
    type: { type: 'string', enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] },
  },
  required: ['type', 'title'],
  additionalProperties: false,
};
const metadefTag = {
  name: 'tag',
  properties: { name: str(80), created_at: stamp, updated_at: stamp },
  required: ['name'],
  additionalProperties: false,
};
const collection = (name: string, key: string, item: object) => ({
  name,
  properties: {
    [key]: { type: 'array', items: item },
    first: { type: 'string' },
    next: { type: 'string' },
    schema: { type: 'string' },
  },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
});

export const schemas: Record<string, object> = {
  image: imageSchema,
  images: imagesSchema,
  member: memberSchema,
  members: membersSchema,
  'metadefs/namespace': metadefNamespace,
  'metadefs/namespaces': collection('namespaces', 'namespaces', metadefNamespace),
  'metadefs/resource_type': metadefResourceType,
  'metadefs/resource_types': collection(
    'resource_type_associations',
    'resource_type_associations',
    metadefResourceType,
  ),
  'metadefs/object': metadefObject,
  'metadefs/objects': collection('objects', 'objects', metadefObject),
  'metadefs/property': metadefProperty,
  'metadefs/properties': {
    name: 'properties',
    properties: { properties: { type: 'object', additionalProperties: metadefProperty } },
  },
  'metadefs/tag': metadefTag,
  'metadefs/tags': collection('tags', 'tags', metadefTag),
};
