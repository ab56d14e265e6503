// Image data: PUT /file streams the raw request (chunked or not) into the image service, which hashes it on
// the way to the blob store; GET /file streams it back, whole (200) or one byte range (206).
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { requestContext } from './auth.js';
import { GlanceHttpError, badRequest } from './errors.js';
import { mediaType } from './patch.js';
import type { GlanceContext } from './plugin.js';
import { route } from './routing.js';

/**
 * A Range header: undefined when absent or not a bytes range we understand (served whole, as WebOb does),
 * a 400 for several ranges.
 */
export function parseRange(header: string | undefined): { start?: number; end?: number } | undefined {
  if (!header) return undefined;
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!match) return undefined;
  const spec = (match[1] as string).trim();
  if (spec.includes(',')) throw badRequest('Multiple ranges are not supported.');
  const m = /^(\d*)-(\d*)$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { end: Number(m[2]) }; // suffix: the last N bytes
  const start = Number(m[1]);
  if (m[2] === '') return { start };
  const end = Number(m[2]);
  if (end < start) return undefined;
  return { start, end };
}

export function dataRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;

  route(app, '/v2/images/:id/file', {
    PUT: {
      handler: async (request, reply) => {
        const { id } = request.params as { id: string };
        if (mediaType(request.headers['content-type']) !== 'application/octet-stream') {
          throw new GlanceHttpError(415, 'Content-Type must be application/octet-stream.');
        }
        const sizeHeader = request.headers['x-openstack-image-size'];
        let expectedSize: number | undefined;
        if (sizeHeader !== undefined) {
          if (typeof sizeHeader !== 'string' || !/^\d+$/.test(sizeHeader.trim())) {
            throw badRequest('x-openstack-image-size must be a non-negative integer.');
          }
          expectedSize = Number(sizeHeader);
        }
        // The octet-stream parser hands over the raw request stream: nothing is buffered here.
        const stream = request.body as Readable;
        await services.images.upload(requestContext(request), id, stream, {
          ...(expectedSize !== undefined ? { expectedSize } : {}),
        });
        return reply.code(204).send();
      },
    },
    GET: {
      rejectBody: true,
      handler: async (request, reply) => {
        const { id } = request.params as { id: string };
        const range = parseRange(request.headers.range);
        const data = await services.images.openData(requestContext(request), id, range);
        if (!data.stream || data.image.size === null) return reply.code(204).send();
        reply.header('content-type', 'application/octet-stream');
        if (data.range) {
          const { start, end } = data.range;
          return reply
            .code(206)
            .header('content-range', `bytes ${start}-${end}/${data.image.size}`)
            .header('content-length', String(end - start + 1))
            .send(data.stream);
        }
        if (data.image.checksum) reply.header('content-md5', data.image.checksum);
        return reply.code(200).header('content-length', String(data.image.size)).send(data.stream);
      },
    },
  });
}
