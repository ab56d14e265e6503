// Small routing helpers shared by the Glance route modules: one path with its methods (every other method
// answers 405 with Allow, as Glance's RejectMethodController does), Glance's body_reject, and JSON bodies.
import type { Readable } from 'node:stream';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  RouteHandlerMethod,
} from 'fastify';
import { hasNul } from '../../domain/image-fields.js';
import { GlanceHttpError, badRequest } from './errors.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface RouteSpec {
  handler: RouteHandlerMethod;
  /** Glance's body_reject: a request body is a 400. */
  rejectBody?: boolean;
  /** No token needed (version discovery). */
  public?: boolean;
  /**
   * The request's JSON body, read before validation whatever its Content-Type (as Glance parses bodies):
   * 'object' or 'array' is the JSON type it must have. The handler then finds it in `request.body`.
   */
  json?: 'object' | 'array';
  /** Checks on the body that Glance makes before its schema (read-only attributes are a 403 first). */
  beforeSchema?: (request: FastifyRequest) => void;
  /** The route's schemas (validated by Fastify through ../validation.ts; failures are Glance 400s). */
  schema?: FastifySchema;
}

export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined && length !== '0') return true;
  return request.headers['transfer-encoding'] !== undefined;
}

async function rejectBodyHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (hasBody(request)) throw badRequest('A body is not expected with this request.');
}

/** A path segment (image ID, tag, member ID) with a NUL character names nothing; PostgreSQL cannot query it. */
async function rejectNulParamsHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const params = (request.params ?? {}) as Record<string, unknown>;
  for (const value of Object.values(params)) {
    if (typeof value === 'string' && hasNul(value)) {
      throw badRequest('Invalid path: it must not contain NUL characters (%00).');
    }
  }
}

/** The query string as the list of values of each name, in a prototype-less object. */
export function queryLists(url: string): Record<string, string[]> {
  const i = url.indexOf('?');
  const lists = Object.create(null) as Record<string, string[]>;
  for (const [key, value] of new URLSearchParams(i < 0 ? '' : url.slice(i + 1))) {
    (lists[key] ??= []).push(value);
  }
  return lists;
}

async function queryListsHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  request.query = queryLists(request.url);
}

/** The value of an object's own property `name`; an inherited property is never an input. */
export function ownValue(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

/** Registers `path` with the given methods; the others (HEAD too, when there is no GET) answer 405. */
export function route(app: FastifyInstance, path: string, specs: Partial<Record<Method, RouteSpec>>): void {
  const allowed = METHODS.filter((m) => specs[m]);
  const allow = allowed.join(', ');
  for (const method of METHODS) {
    const spec = specs[method];
    if (spec) {
      const preValidation = [rejectNulParamsHook];
      // A query schema sees every value of a repeated name (tag=a&tag=b), as Glance reads them.
      if (spec.schema?.querystring) preValidation.push(queryListsHook);
      if (spec.rejectBody) preValidation.push(rejectBodyHook);
      const { json, beforeSchema } = spec;
      if (json) {
        preValidation.push(async (request) => {
          request.body = await readJsonBody(request, json, bodyLimit(app));
          beforeSchema?.(request);
        });
      }
      app.route({
        method,
        url: path,
        config: { public: spec.public ?? false },
        preValidation,
        ...(spec.schema ? { schema: spec.schema } : {}),
        handler: spec.handler,
      });
    }
  }
  const rejected: Array<Method | 'HEAD'> = METHODS.filter((m) => !specs[m]);
  if (!specs.GET) rejected.push('HEAD');
  app.route({
    method: rejected,
    url: path,
    config: { public: specs.GET?.public ?? false },
    handler: async (request) => {
      throw new GlanceHttpError(405, `The method ${request.method} is not allowed for this resource.`, {
        allow,
      });
    },
  });
}

/** Reads a body that the catch-all parser left as a stream (an unexpected Content-Type), up to `limit`. */
async function readStream(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new GlanceHttpError(413, 'Request body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('Malformed JSON in request body.');
  }
}

function isStream(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function';
}

function bodyLimit(app: FastifyInstance): number {
  return app.initialConfig.bodyLimit ?? 1024 * 1024;
}

/**
 * The request's JSON body. Glance parses the body as JSON whatever its Content-Type, so a body the catch-all
 * parser passed through as a stream is read here; a missing body or one of another JSON type is a 400.
 */
async function readJsonBody(
  request: FastifyRequest,
  type: 'object' | 'array',
  limit: number,
): Promise<unknown> {
  let body: unknown = request.body;
  if (isStream(body)) {
    const text = await readStream(body, limit);
    body = text.trim() === '' ? undefined : parseJson(text);
  }
  if (body === undefined) throw badRequest('Body expected in request.');
  if (type === 'array' && !Array.isArray(body)) {
    throw badRequest('Request body must be a JSON array of operation objects.');
  }
  if (type === 'object' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw badRequest('Body must be a JSON object.');
  }
  return body;
}

/** A PATCH body (a JSON array, checked by the patch translator after the media type). */
export async function jsonBody(request: FastifyRequest, limit: number): Promise<unknown> {
  let body: unknown = request.body;
  if (isStream(body)) {
    const text = await readStream(body, limit);
    body = text.trim() === '' ? undefined : parseJson(text);
  }
  if (body === undefined) throw badRequest('Body expected in request.');
  return body;
}
