// The console API (/console/api/v1): a thin adapter over the same services as the other surfaces, with
// TypeBox request and response schemas that Fastify validates and serializes with, and from which the
// OpenAPI document at /openapi.json is generated.
import type { FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import type { ConsoleDeps } from './context.js';
import { accountRoutes } from './account.routes.js';
import { ConsoleHttpError, consoleErrorHandler, sendConsoleError } from './errors.js';
import { imageRoutes } from './images.routes.js';
import { instanceRoutes } from './instances.routes.js';
import { groupRoutes } from './groups.routes.js';
import { guardrailRoutes } from './guardrails.routes.js';
import { notificationRoutes } from './notifications.routes.js';
import { ErrorBody } from './schemas.js';
import { sessionHook } from './session.js';

/** Passwords are only hashed, never queried: any character may be in one. */
const OPAQUE_FIELDS = new Set(['password', 'currentPassword', 'newPassword']);

/**
 * PostgreSQL text cannot hold (or even compare) a NUL character, so one reaching a query would fail there as
 * an internal error: it is refused first, as bad input naming the field.
 */
function refuseNul(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      throw new ConsoleHttpError(400, 'InvalidInput', `Invalid ${path}: must not contain NUL characters.`, {
        field: path,
      });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => refuseNul(item, `${path}.${i}`));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (!OPAQUE_FIELDS.has(key)) refuseNul(child, `${path}.${key}`);
    }
  }
}

export async function consoleApi(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ConsoleHttpError(400, 'InvalidInput', 'The request body is not valid JSON.'));
    }
  });
  // Image data streams to the image service untouched (no buffering; images.maxUploadBytes applies).
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  // Unknown fields are refused (400 naming them), not silently dropped as Fastify's default does; query
  // strings and path parameters are coerced from text (bodies are not: a number is no name), and defaults
  // fill absent paging parameters.
  const strict = { removeAdditional: false, useDefaults: true, allErrors: false } as const;
  const forText = new Ajv({ ...strict, coerceTypes: 'array' });
  const forBodies = new Ajv({ ...strict, coerceTypes: false });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? forBodies : forText).compile(schema),
  );

  app.setErrorHandler(consoleErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendConsoleError(reply, 404, 'NotFound', `No such console API call: ${request.method} ${request.url}`),
  );
  app.addSchema(ErrorBody);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'imageshare console API',
        version: '1',
        description:
          'The JSON API of the web console. Log in with POST /session (cookie imageshare_session); every ' +
          'other call except this document needs the session, and every call that changes something also ' +
          'the X-CSRF-Token header from the session answer.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'imageshare_session' },
          csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  // Before any route: every route of this scope is checked (a public route says so in its config).
  app.addHook('onRequest', sessionHook(deps.services, deps.config));
  app.addHook('preValidation', async (request) => {
    refuseNul(request.params, 'params');
    refuseNul(request.query, 'querystring');
    if (typeof request.body === 'object' && request.body !== null && !('pipe' in request.body)) {
      refuseNul(request.body, 'body');
    }
  });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  accountRoutes(app, deps);
  imageRoutes(app, deps);
  instanceRoutes(app, deps);
  groupRoutes(app, deps);
  guardrailRoutes(app, deps);
  notificationRoutes(app, deps);
}
