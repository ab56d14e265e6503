// PATCH /v2/images/{id}: the two JSON-patch media types Glance speaks (spec §1.4), translated into one
// ImagePatch for the image service. Wire rules live here (which paths exist, which are read-only or
// reserved, draft-4 versus draft-10 `add`, missing properties); the image rules stay in the service.
import type { Image, Visibility } from '../../domain/types.js';
import type { ValidateFunction } from 'ajv';
import { MAX_PROPERTY_KEY_LENGTH, hasNul, isReservedProperty } from '../../domain/image-fields.js';
import type { ImagePatch } from '../../services/image.service.js';
import { GlanceHttpError, badRequest } from './errors.js';
import { ownValue } from './routing.js';
import { imageSchema } from './schemas.js';
import { assertValid } from './validation.js';
import { validatorFor } from '../validation.js';

export const PATCH_V21 = 'application/openstack-images-v2.1-json-patch';
export const PATCH_V20 = 'application/openstack-images-v2.0-json-patch';
export const ACCEPT_PATCH = `${PATCH_V20}, ${PATCH_V21}`;

type Op = 'add' | 'remove' | 'replace';

interface Operation {
  op: Op;
  name: string;
  value?: unknown;
  draft: 4 | 10;
}

/**
 * Attributes the server sets: a client may never write them (403), on create or update. Those the served image
 * schema marks `readOnly`, and two Glance has that imageshare does not show.
 */
export const READ_ONLY_ATTRIBUTES: ReadonlySet<string> = new Set([
  ...Object.entries(imageSchema.properties)
    .filter(([, schema]) => (schema as { readOnly?: boolean }).readOnly === true)
    .map(([name]) => name),
  'direct_url',
  'stores',
]);

/** On update the ID is read-only too (on create a client may choose it). */
const READ_ONLY = new Set([...READ_ONLY_ATTRIBUTES, 'id']);

/** Base (non-removable) attributes that may be written. */
const WRITABLE_BASE = new Set([
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'container_format',
  'disk_format',
  'min_disk',
  'min_ram',
  'owner',
  'tags',
]);

const forbidden = (message: string) => new GlanceHttpError(403, message);
const conflict = (message: string) => new GlanceHttpError(409, message);

/** Media type essence of a Content-Type header, lower-cased. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function decodePointer(pointer: unknown): string {
  if (typeof pointer !== 'string' || !pointer.startsWith('/')) {
    throw badRequest(`Pointer \`${String(pointer)}\` does not start with "/".`);
  }
  const parts = pointer.slice(1).split('/');
  if (parts[0] === 'locations') {
    throw forbidden("It's not allowed to add, replace or remove locations: image locations are not exposed.");
  }
  if (parts.length !== 1 || parts[0] === '') {
    throw badRequest(`Invalid JSON pointer for this resource: '${pointer}'`);
  }
  const raw = parts[0] as string;
  if (/~[^01]|~$/.test(raw)) throw badRequest(`Invalid JSON pointer for this resource: '${pointer}'`);
  if (hasNul(raw)) throw badRequest('Invalid JSON pointer: it must not contain NUL characters (\\u0000).');
  return raw.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parseOperations(media: string, body: unknown): Operation[] {
  if (!Array.isArray(body)) {
    throw badRequest('Request body must be a JSON array of operation objects.');
  }
  return body.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw badRequest('Operations must be JSON objects.');
    }
    const obj = raw as Record<string, unknown>;
    let op: string;
    let path: unknown;
    if (media === PATCH_V21) {
      const rawOp = ownValue(obj, 'op');
      if (typeof rawOp !== 'string')
        throw badRequest('Operation objects must contain exactly one of "add", "remove", "replace".');
      op = rawOp;
      path = ownValue(obj, 'path');
      if (path === undefined) throw badRequest("Unable to find 'path' in JSON Schema change");
    } else {
      const keys = (['add', 'remove', 'replace'] as const).filter((k) => Object.hasOwn(obj, k));
      if (keys.length !== 1) {
        throw badRequest('Operation objects must contain exactly one of "add", "remove", "replace".');
      }
      op = keys[0] as string;
      path = ownValue(obj, op);
    }
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw badRequest(`Invalid operation: \`${op}\`.`);
    }
    const name = decodePointer(path);
    if ((op === 'add' || op === 'replace') && !Object.hasOwn(obj, 'value')) {
      throw badRequest(`Operation "${op}" requires a member named "value".`);
    }
    return { op, name, value: ownValue(obj, 'value'), draft: media === PATCH_V21 ? 10 : 4 };
  });
}

/** The image schema's validator (what GET /v2/schemas/image serves), compiled when the surface is built. */
export type ImageValidator = ValidateFunction;

/**
 * The value an operation writes, checked against the image schema as the property it sets: `{ name: value }`
 * must be a valid image body (base attributes by their own schema, extra properties as strings).
 */
function checkValue(validate: ImageValidator, name: string, value: unknown): void {
  // A computed key defines an own property, even for `__proto__`.
  assertValid(validate, imageSchema, { [name]: value });
}

/**
 * Applies the operations to a copy of `image`, in order, and returns the difference as an ImagePatch.
 * `description` is a column here but an extra property in Glance, so it follows extra-property rules.
 */
export function translatePatch(
  media: string,
  body: unknown,
  image: Image,
  validate: ImageValidator = validatorFor(imageSchema),
): ImagePatch {
  const ops = parseOperations(media, body);
  const patch: ImagePatch = {};
  // Prototype-less maps: a property named `__proto__` or `constructor` is a plain key like any other.
  const props = propertyMap(image);

  for (const { op, name, value, draft } of ops) {
    if (READ_ONLY.has(name)) throw forbidden(`Attribute '${name}' is read-only.`);
    if (isReservedProperty(name)) throw forbidden(`Attribute '${name}' is reserved.`);
    if (WRITABLE_BASE.has(name)) {
      if (op === 'remove') throw forbidden(`Property ${name} may not be removed.`);
      if (op === 'add' && draft === 4) throw conflict(`Property ${name} already present.`);
      checkValue(validate, name, value);
      setBase(patch, name, value);
      continue;
    }
    // An extra property.
    const exists = Object.hasOwn(props, name);
    if (op === 'remove') {
      if (!exists) throw conflict(`Property ${name} does not exist.`);
      delete props[name];
      continue;
    }
    if (op === 'replace' && !exists) throw conflict(`Property ${name} does not exist.`);
    if (op === 'add' && draft === 4 && exists) throw conflict(`Property ${name} already present.`);
    checkValue(validate, name, value);
    if (name.length > MAX_PROPERTY_KEY_LENGTH) {
      throw badRequest(`Custom property should not be greater than ${MAX_PROPERTY_KEY_LENGTH} characters.`);
    }
    // A nullable extra property (kernel_id, ...) set to null has no value: it is removed.
    if (value === null) delete props[name];
    else props[name] = value as string;
  }

  // The difference between the original properties and the result.
  const before = propertyMap(image);
  const set = Object.create(null) as Record<string, string>;
  const removed: string[] = [];
  for (const [key, value] of Object.entries(props)) if (before[key] !== value) set[key] = value;
  for (const key of Object.keys(before)) if (!Object.hasOwn(props, key)) removed.push(key);
  if ('description' in set) {
    patch.description = set.description;
    delete set.description;
  }
  if (removed.includes('description')) patch.description = null;
  const removeProperties = removed.filter((k) => k !== 'description');
  // Spread defines own properties (a `__proto__` key stays a key) on an ordinary object.
  if (Object.keys(set).length) patch.setProperties = { ...set };
  if (removeProperties.length) patch.removeProperties = removeProperties;
  return patch;
}

/** The image's extra properties with `description`, in an object without a prototype. */
function propertyMap(image: Image): Record<string, string> {
  const map = Object.assign(Object.create(null) as Record<string, string>, image.properties);
  if (image.description !== null) map.description = image.description;
  return map;
}

function setBase(patch: ImagePatch, name: string, value: unknown): void {
  switch (name) {
    case 'name':
      patch.name = value as string | null;
      return;
    case 'visibility':
      patch.visibility = value as Visibility;
      return;
    case 'protected':
      patch.protected = value as boolean;
      return;
    case 'os_hidden':
      patch.osHidden = value as boolean;
      return;
    case 'container_format':
      patch.containerFormat = value as string | null;
      return;
    case 'disk_format':
      patch.diskFormat = value as string | null;
      return;
    case 'min_disk':
      patch.minDisk = value as number;
      return;
    case 'min_ram':
      patch.minRam = value as number;
      return;
    case 'owner':
      patch.ownerId = value as string;
      return;
    case 'tags':
      patch.tags = value as string[];
      return;
  }
}
