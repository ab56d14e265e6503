// Image and member JSON exactly as Glance's serializers emit them (spec §1.2, §2.1): every base field
// present (null when unset), timestamps to the second, extra properties as top-level strings.
// `self`, `file` and `schema` are relative to the endpoint root, as in Glance, so they hold for every region.
import type { Image, Member } from '../../domain/types.js';
import { isGroupId } from '../../domain/ids.js';
import type { GroupShare } from '../../services/share.service.js';

/** What our stored timestamps look like (Date.toISOString): cut to the second without parsing them. */
const ISO_MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Glance's isotime: 2014-05-05T17:15:10Z. We store ISO-8601 with milliseconds. */
export function isoSeconds(value: string): string {
  if (ISO_MILLIS.test(value)) return `${value.slice(0, 19)}Z`;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The image as Glance shows it. The base fields come first, in one fixed shape (V8 builds it as a plain
 * literal; spreading the extra properties in first made every body a dictionary-mode object, and imageBody
 * 9% of a list request's CPU profile); the extra properties follow, never over a base field.
 */
export function imageBody(image: Image): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.osHidden,
    checksum: image.checksum,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    owner: image.ownerId,
    size: image.size,
    virtual_size: image.virtualSize,
    container_format: image.containerFormat,
    disk_format: image.diskFormat,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    tags: image.tags,
    created_at: isoSeconds(image.createdAt),
    updated_at: isoSeconds(image.updatedAt),
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  };
  if (image.description !== null) body.description = image.description;
  addLifecycleProperties(body, image);
  for (const key in image.properties) {
    if (!Object.hasOwn(image.properties, key) || Object.hasOwn(body, key)) continue;
    const value = image.properties[key];
    // A plain assignment to __proto__ would set the prototype, not a property.
    if (key === '__proto__') {
      Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
    } else body[key] = value;
  }
  return body;
}

/**
 * imageshare's lifecycle extension (docs/api/openstack.md), as extra properties that appear only when they
 * hold, so an image outside any lifecycle state looks exactly as in Glance. Strings, as every extra property
 * (the image schema's additionalProperties, which clients such as glanceclient validate against). They are
 * reserved: nobody sets them by hand (domain/image-fields.ts LIFECYCLE_PROPERTIES).
 */
function addLifecycleProperties(body: Record<string, unknown>, image: Image): void {
  const l = image.lifecycle;
  if (l.deprecatedAt !== null) {
    body.os_deprecated = 'true';
    body.deprecated_at = isoSeconds(l.deprecatedAt);
    if (l.replacementImageId !== null) body.os_replacement_image = l.replacementImageId;
    if (l.obsoleteAt !== null) body.os_obsolete_at = isoSeconds(l.obsoleteAt);
  }
  if (l.disabledAt !== null) body.os_disabled = 'true';
}

/** An image in its owner's recycle bin: as shown before its delete, with when it goes for good. */
export function recycleBinImageBody(image: Image): Record<string, unknown> {
  return {
    ...imageBody(image),
    deleted_at: image.lifecycle.deletedAt !== null ? isoSeconds(image.lifecycle.deletedAt) : null,
    os_purge_after: image.lifecycle.purgeAfter !== null ? isoSeconds(image.lifecycle.purgeAfter) : null,
  };
}

/**
 * A share with a group in a member list (imageshare extension): member_id is the group's ID, member_type
 * "group", with its name and size; there is no status, as each account of the group answers for itself.
 */
export function groupShareBody(share: GroupShare): Record<string, unknown> {
  return {
    member_id: share.groupId,
    image_id: share.imageId,
    member_type: 'group',
    group_name: share.groupName,
    group_size: share.size,
    status: null,
    created_at: isoSeconds(share.createdAt),
    updated_at: isoSeconds(share.updatedAt),
    expires_at: share.expiresAt,
    access: share.access,
    schema: '/v2/schemas/member',
  };
}

export function memberBody(member: Member): Record<string, unknown> {
  const body = accountMemberBody(member);
  // A share with a group (the answer to POST or PUT on it): member_type "group" and no status, as listed.
  return isGroupId(member.memberId) ? { ...body, member_type: 'group', status: null } : body;
}

function accountMemberBody(member: Member): Record<string, unknown> {
  return {
    member_id: member.memberId,
    image_id: member.imageId,
    status: member.status,
    created_at: isoSeconds(member.createdAt),
    updated_at: isoSeconds(member.updatedAt),
    // imageshare's extension (docs/api/openstack.md): the share's end time and what its receiver may do.
    expires_at: member.expiresAt,
    access: member.access,
    schema: '/v2/schemas/member',
  };
}
