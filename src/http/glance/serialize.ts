// Image and member JSON exactly as Glance's serializers emit them (spec §1.2, §2.1): every base field
// present (null when unset), timestamps to the second, extra properties as top-level strings.
// `self`, `file` and `schema` are relative to the endpoint root, as in Glance, so they hold for every region.
import type { Image, Member } from '../../domain/types.js';

/** Glance's isotime: 2014-05-05T17:15:10Z. We store ISO-8601 with milliseconds. */
export function isoSeconds(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function imageBody(image: Image): Record<string, unknown> {
  return {
    // Extra properties first, so a base field can never be shadowed by one.
    ...image.properties,
    ...(image.description !== null ? { description: image.description } : {}),
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
}

export function memberBody(member: Member): Record<string, unknown> {
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
