// Image resources: create, list, show, update (JSON patch), delete, tags and the deactivate/reactivate
// actions. Each handler turns the wire format into one service call and the result back into Glance JSON.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isReservedProperty } from '../../domain/image-fields.js';
import type { NewImageInput } from '../../services/image.service.js';
import { requestContext } from './auth.js';
import { GlanceHttpError } from './errors.js';
import { listQuerySchema, parseListQuery, pageLinks } from './list-query.js';
import {
  ACCEPT_PATCH,
  PATCH_V20,
  PATCH_V21,
  READ_ONLY_ATTRIBUTES,
  mediaType,
  translatePatch,
} from './patch.js';
import type { GlanceContext } from './plugin.js';
import { hasBody, jsonBody, ownValue, route } from './routing.js';
import { imageSchema, type ImageBody } from './schemas.js';
import { imageBody, recycleBinImageBody } from './serialize.js';
import type { DeprecationInput } from '../../services/image.service.js';

const forbidden = (message: string) => new GlanceHttpError(403, message);

/** Glance's first check on a create body: attributes the server sets are 403, before the schema's 400. */
export function refuseReadOnlyAttributes(body: Record<string, unknown>): void {
  for (const key of Object.keys(body)) {
    if (READ_ONLY_ATTRIBUTES.has(key)) throw forbidden(`Attribute '${key}' is read-only.`);
    if (key === 'locations' || isReservedProperty(key)) throw forbidden(`Attribute '${key}' is reserved.`);
  }
}

/** Base attributes of a create body; every other key is an extra property. */
const CREATE_FIELDS = new Set([
  'id',
  'name',
  'description',
  'visibility',
  'protected',
  'os_hidden',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'owner',
  'tags',
]);

/**
 * A POST /v2/images body that passed the image schema -> NewImageInput. Own properties only: an inherited
 * value is never an input. A null extra property (the schema allows it for kernel_id, ...) is not stored.
 */
export function createInput(body: ImageBody): NewImageInput {
  const read = <K extends keyof ImageBody>(name: K): ImageBody[K] | undefined =>
    Object.hasOwn(body, name) ? body[name] : undefined;
  const input: NewImageInput = {};
  const id = read('id');
  if (id !== undefined) input.id = id;
  const name = read('name');
  if (name !== undefined) input.name = name;
  const description = read('description');
  if (description !== undefined) input.description = description;
  const visibility = read('visibility');
  if (visibility !== undefined) input.visibility = visibility;
  const isProtected = read('protected');
  if (isProtected !== undefined) input.protected = isProtected;
  const osHidden = read('os_hidden');
  if (osHidden !== undefined) input.osHidden = osHidden;
  const diskFormat = read('disk_format');
  if (diskFormat !== undefined) input.diskFormat = diskFormat;
  const containerFormat = read('container_format');
  if (containerFormat !== undefined) input.containerFormat = containerFormat;
  const minDisk = read('min_disk');
  if (minDisk !== undefined) input.minDisk = minDisk;
  const minRam = read('min_ram');
  if (minRam !== undefined) input.minRam = minRam;
  const owner = read('owner');
  if (typeof owner === 'string') input.ownerId = owner;
  const tags = read('tags');
  if (tags !== undefined) input.tags = tags;
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (CREATE_FIELDS.has(key) || typeof value !== 'string') continue;
    properties[key] = value;
  }
  if (Object.keys(properties).length) input.properties = properties;
  return input;
}

function queryParams(request: FastifyRequest): URLSearchParams {
  const i = request.url.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : request.url.slice(i + 1));
}

export function imageRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;
  const limit = g.config.server.bodyLimitBytes;

  route(app, '/v2/images', {
    GET: {
      schema: { querystring: listQuerySchema },
      handler: async (request) => {
        const params = queryParams(request);
        const page = await services.images.list(requestContext(request), parseListQuery(params));
        const last = page.full ? page.images[page.images.length - 1]?.id : undefined;
        const links = pageLinks(params, last);
        return {
          images: page.images.map(imageBody),
          first: links.first,
          ...(links.next ? { next: links.next } : {}),
          schema: '/v2/schemas/images',
        };
      },
    },
    POST: {
      json: 'object',
      beforeSchema: (request) => refuseReadOnlyAttributes(request.body as Record<string, unknown>),
      // The very schema GET /v2/schemas/image serves.
      schema: { body: imageSchema },
      handler: async (request, reply) => {
        const input = createInput(request.body as ImageBody);
        const image = await services.images.create(requestContext(request), input);
        return reply
          .code(201)
          .header('location', `${g.endpointUrl()}/v2/images/${image.id}`)
          .send(imageBody(image));
      },
    },
  });

  // `/v2/images/` with an empty ID names no image (Tempest test_get_image_null_id / _delete_image_null_id).
  const noImage = async () => {
    throw new GlanceHttpError(404, 'No image found with an empty ID.');
  };
  route(app, '/v2/images/', { GET: { handler: noImage }, DELETE: { handler: noImage } });

  route(app, '/v2/images/:id', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { id } = request.params as { id: string };
        return imageBody(await services.images.get(requestContext(request), id));
      },
    },
    PATCH: {
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const media = mediaType(request.headers['content-type']);
        if (media !== PATCH_V20 && media !== PATCH_V21) {
          throw new GlanceHttpError(415, `Unsupported Content-Type: use ${ACCEPT_PATCH}.`, {
            'accept-patch': ACCEPT_PATCH,
          });
        }
        const ctx = requestContext(request);
        const body = await jsonBody(request, limit);
        // The patch is translated against the image as it is under the service's row lock.
        return imageBody(
          await services.images.update(ctx, id, (current) =>
            translatePatch(media, body, current, g.validateImage),
          ),
        );
      },
    },
    DELETE: {
      rejectBody: true,
      handler: async (request, reply) => {
        const { id } = request.params as { id: string };
        await services.images.delete(requestContext(request), id);
        return reply.code(204).send();
      },
    },
  });

  route(app, '/v2/images/:id/tags/:tag', {
    PUT: {
      rejectBody: true,
      handler: async (request, reply) => {
        const { id, tag } = request.params as { id: string; tag: string };
        await services.images.addTag(requestContext(request), id, tag);
        return reply.code(204).send();
      },
    },
    DELETE: {
      rejectBody: true,
      handler: async (request, reply) => {
        const { id, tag } = request.params as { id: string; tag: string };
        await services.images.removeTag(requestContext(request), id, tag);
        return reply.code(204).send();
      },
    },
  });

  for (const action of ['deactivate', 'reactivate'] as const) {
    route(app, `/v2/images/:id/actions/${action}`, {
      POST: {
        rejectBody: true,
        handler: async (request, reply) => {
          const { id } = request.params as { id: string };
          await services.images[action](requestContext(request), id);
          return reply.code(204).send();
        },
      },
    });
  }
}

/** Largest page of the recycle bin listing. */
const MAX_BIN_PAGE = 1000;

/**
 * The body of POST .../actions/deprecate (imageshare's extension): none, or an object with `replacement`
 * (an image ID, or null) and `obsolete_at` (ISO-8601 with a zone, or null). Unknown keys are a 400.
 */
export function deprecationInput(body: unknown): DeprecationInput {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GlanceHttpError(400, 'The body must be a JSON object.');
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'replacement' && key !== 'obsolete_at') {
      throw new GlanceHttpError(400, `Unknown attribute '${key}': expected replacement, obsolete_at.`);
    }
  }
  const input: DeprecationInput = {};
  for (const [key, field] of [
    ['replacement', 'replacementImageId'],
    ['obsolete_at', 'obsoleteAt'],
  ] as const) {
    const value = ownValue(record, key);
    if (value === undefined) continue;
    if (value !== null && (typeof value !== 'string' || value.length > 64)) {
      throw new GlanceHttpError(400, `${key} must be a string of at most 64 characters, or null.`);
    }
    input[field] = value;
  }
  return input;
}

function binPage(request: FastifyRequest): { offset: number; limit: number } {
  const params = queryParams(request);
  for (const key of params.keys()) {
    if (key !== 'limit' && key !== 'offset') {
      throw new GlanceHttpError(400, `Unknown query parameter '${key}': expected limit, offset.`);
    }
  }
  const read = (name: string, fallback: number, max: number) => {
    const raw = params.get(name);
    if (raw === null) return fallback;
    if (!/^\d{1,7}$/.test(raw) || Number(raw) > max) {
      throw new GlanceHttpError(400, `${name} must be an integer from 0 to ${max}.`);
    }
    return Number(raw);
  };
  return { limit: read('limit', 25, MAX_BIN_PAGE) || 25, offset: read('offset', 0, 1_000_000) };
}

/**
 * imageshare's lifecycle extension (docs/api/openstack.md "Lifecycle"): deprecate / undeprecate, disable /
 * enable (AWS DisableImage: every share suspended), restore from the recycle bin, and the owner's bin.
 * Glance's own deactivate / reactivate stay as they are.
 */
export function lifecycleRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;
  const limit = g.config.server.bodyLimitBytes;
  route(app, '/v2/images/:id/actions/deprecate', {
    POST: {
      handler: async (request, reply) => {
        const { id } = request.params as { id: string };
        const body = hasBody(request) ? await jsonBody(request, limit) : undefined;
        await services.images.deprecate(requestContext(request), id, deprecationInput(body));
        return reply.code(204).send();
      },
    },
  });
  for (const action of ['undeprecate', 'disable', 'enable', 'restore'] as const) {
    route(app, `/v2/images/:id/actions/${action}`, {
      POST: {
        rejectBody: true,
        handler: async (request, reply) => {
          const { id } = request.params as { id: string };
          await services.images[action](requestContext(request), id);
          return reply.code(204).send();
        },
      },
    });
  }
  route(app, '/v2/recycle-bin/images', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const page = await services.images.listRecycleBin(requestContext(request), binPage(request));
        return { images: page.images.map(recycleBinImageBody), total: page.total };
      },
    },
  });
}
