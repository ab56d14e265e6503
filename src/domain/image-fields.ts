// Field rules for images, shared by every way in (bounds, formats, reserved names).
import { fail } from './errors.js';
import { visibilities, type Visibility } from './types.js';

export const DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;

export const MAX_NAME_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_PROPERTY_KEY_LENGTH = 255;
export const MAX_PROPERTY_VALUE_LENGTH = 65535;
export const MAX_TAG_LENGTH = 255;
/** Glance's min_disk/min_ram are 32-bit integers. */
const MAX_INT32 = 2 ** 31 - 1;

/** True when `value` holds a NUL character, which PostgreSQL text cannot store (and no name needs). */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

/** Every text field: no NUL characters (PostgreSQL refuses them, so the write would otherwise be a 500). */
export function assertText(value: string, field: string): void {
  if (hasNul(value)) {
    throw fail('InvalidInput', `${field} must not contain NUL characters (\\u0000).`, { field });
  }
}

export function assertName(name: string | null, field = 'name'): void {
  if (name !== null) assertText(name, field);
  if (name !== null && name.length > MAX_NAME_LENGTH) {
    throw fail('InvalidInput', `${field} is longer than ${MAX_NAME_LENGTH} characters`, { field });
  }
}

export function assertDescription(description: string | null): void {
  if (description !== null) assertText(description, 'description');
  if (description !== null && description.length > MAX_DESCRIPTION_LENGTH) {
    throw fail('InvalidInput', `description is longer than ${MAX_DESCRIPTION_LENGTH} characters`, {
      field: 'description',
    });
  }
}

/** An owner given explicitly (admins only): any project ID of up to 32 letters, digits, - or _, as Glance. */
export function assertOwnerId(value: string): void {
  assertText(value, 'owner');
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(value)) {
    throw fail('InvalidInput', 'owner must be a project ID of 1 to 32 letters, digits, - or _', {
      field: 'owner',
    });
  }
}

export function assertVisibility(value: string): asserts value is Visibility {
  if (!(visibilities as readonly string[]).includes(value)) {
    throw fail('InvalidInput', `visibility must be one of ${visibilities.join(', ')}`, {
      field: 'visibility',
    });
  }
}

export function assertDiskFormat(value: string | null): void {
  if (value !== null && !(DISK_FORMATS as readonly string[]).includes(value)) {
    throw fail('InvalidInput', `disk_format must be one of ${DISK_FORMATS.join(', ')}`, {
      field: 'disk_format',
    });
  }
}

export function assertContainerFormat(value: string | null): void {
  if (value !== null && !(CONTAINER_FORMATS as readonly string[]).includes(value)) {
    throw fail('InvalidInput', `container_format must be one of ${CONTAINER_FORMATS.join(', ')}`, {
      field: 'container_format',
    });
  }
}

export function assertNonNegativeInt(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_INT32) {
    throw fail('InvalidInput', `${field} must be an integer from 0 to ${MAX_INT32}`, { field });
  }
}

/**
 * The properties the lifecycle extension shows (deprecation, disabling, the recycle bin): set by the service
 * only, so an owner cannot dress an image up as deprecated (or not) by hand.
 */
export const LIFECYCLE_PROPERTIES = [
  'os_deprecated',
  'deprecated_at',
  'os_replacement_image',
  'os_obsolete_at',
  'os_disabled',
  'os_purge_after',
] as const;

/** Property names Glance reserves for itself: setting them is refused, not ignored. */
export function isReservedProperty(key: string): boolean {
  return (
    key === 'location' ||
    key === 'deleted' ||
    key === 'deleted_at' ||
    key.startsWith('os_glance') ||
    (LIFECYCLE_PROPERTIES as readonly string[]).includes(key)
  );
}

export function assertProperty(key: string, value: string): void {
  assertText(key, 'A property name');
  assertText(value, `Value of property ${key}`);
  if (key.length === 0 || key.length > MAX_PROPERTY_KEY_LENGTH) {
    throw fail(
      'InvalidInput',
      `Custom property should not be greater than ${MAX_PROPERTY_KEY_LENGTH} characters.`,
    );
  }
  if (value.length > MAX_PROPERTY_VALUE_LENGTH) {
    throw fail(
      'InvalidInput',
      `Value of property ${key} is longer than ${MAX_PROPERTY_VALUE_LENGTH} characters.`,
    );
  }
  if (isReservedProperty(key)) throw fail('Forbidden', `Attribute '${key}' is reserved.`);
}

export function assertTag(tag: string): void {
  assertText(tag, 'A tag');
  if (tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
    throw fail('InvalidInput', `A tag must be 1 to ${MAX_TAG_LENGTH} characters long.`);
  }
}
