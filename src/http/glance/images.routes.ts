// Image resources: create, list, show, update (JSON patch), delete, tags and the deactivate/reactivate
// actions. Each handler turns the wire format into one service call and the result back into Glance JSON.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isReservedProperty } from '../../domain/image-fields.js';
import type { Visibility } from '../../domain/types.js';
import type { NewImageInput } from '../../services/image.service.js';
import { requestContext } from './auth.js';
import { GlanceHttpError, badRequest } from './errors.js';
import { parseListQuery, pageLinks } from './list-query.js';
import {
  ACCEPT_PATCH,
  PATCH_V20,
  PATCH_V21,
  READ_ONLY_ATTRIBUTES,
  mediaType,
  translatePatch,
} from './patch.js';
import type { GlanceContext } from './plugin.js';
import { jsonBody, jsonObjectBody, ownValue, route } from './routing.js';
import { imageBody } from './serialize.js';

const forbidden = (message: string) => new GlanceHttpError(403, message);

function typeError(name: string, expected: string): GlanceHttpError {
  return badRequest(`Invalid value for '${name}': expected ${expected}.`);
}

function optString(
  body: Record<string, unknown>,
  name: string,
  nullable: boolean,
): string | null | undefined {
  const value = ownValue(body, name);
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (typeof value !== 'string') throw typeError(name, nullable ? 'a string or null' : 'a string');
  return value;
}

function optBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = ownValue(body, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw typeError(name, 'a boolean');
  return value;
}

function optInteger(body: Record<string, unknown>, name: string): number | undefined {
  const value = ownValue(body, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(name, 'an integer');
  return value;
}

/** POST /v2/images body -> NewImageInput: read-only and reserved keys 403 first, then types 400. */
export function createInput(body: Record<string, unknown>): NewImageInput {
  for (const key of Object.keys(body)) {
    if (READ_ONLY_ATTRIBUTES.has(key)) throw forbidden(`Attribute '${key}' is read-only.`);
    if (key === 'locations' || isReservedProperty(key)) throw forbidden(`Attribute '${key}' is reserved.`);
  }
  const input: NewImageInput = {};
  const id = optString(body, 'id', false);
  if (id !== undefined) input.id = id as string;
  const name = optString(body, 'name', true);
  if (name !== undefined) input.name = name;
  const description = optString(body, 'description', true);
  if (description !== undefined) input.description = description;
  const visibility = optString(body, 'visibility', false);
  if (visibility !== undefined) input.visibility = visibility as Visibility;
  const isProtected = optBoolean(body, 'protected');
  if (isProtected !== undefined) input.protected = isProtected;
  const osHidden = optBoolean(body, 'os_hidden');
  if (osHidden !== undefined) input.osHidden = osHidden;
  const diskFormat = optString(body, 'disk_format', true);
  if (diskFormat !== undefined) input.diskFormat = diskFormat;
  const containerFormat = optString(body, 'container_format', true);
  if (containerFormat !== undefined) input.containerFormat = containerFormat;
  const minDisk = optInteger(body, 'min_disk');
  if (minDisk !== undefined) input.minDisk = minDisk;
  const minRam = optInteger(body, 'min_ram');
  if (minRam !== undefined) input.minRam = minRam;
  const owner = optString(body, 'owner', true);
  if (typeof owner === 'string') input.ownerId = owner;
  const tags = ownValue(body, 'tags');
  if (tags !== undefined) {
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
      throw typeError('tags', 'an array of strings');
    }
    input.tags = tags as string[];
  }
  const base = new Set([
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
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (base.has(key)) continue;
    if (typeof value !== 'string') throw typeError(key, 'a string (extra properties are strings)');
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
      handler: async (request, reply) => {
        const input = createInput(await jsonObjectBody(request, limit));
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
          await services.images.update(ctx, id, (current) => translatePatch(media, body, current)),
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
