// The OpenStack Image API v2 surface as one Fastify plugin, registered once per endpoint: at the root for
// the default region and under /regions/<name> for every configured region (DESIGN.md "Regions on one
// server"). The plugin owns its body parsers, auth hook and error envelope; the rules live in the services.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { publicBaseUrl, type Config } from '../../config.js';
import type { Services } from '../../services/container.js';
import type { AppDeps } from '../app.js';
import { identityUri } from '../keystone/errors.js';
import { authHook, requestContext } from './auth.js';
import { dataRoutes } from './data.routes.js';
import { GlanceHttpError, glanceErrorHandler } from './errors.js';
import { imageRoutes, lifecycleRoutes } from './images.routes.js';
import { memberRoutes } from './members.routes.js';
import { groupRoutes } from './groups.routes.js';
import { guardrailRoutes } from './guardrails.routes.js';
import { notificationRoutes } from './notifications.routes.js';
import { PATCH_V20, PATCH_V21, type ImageValidator } from './patch.js';
import { parseJson, route } from './routing.js';
import { imageSchema, schemas } from './schemas.js';
import { compile, validatorCompiler } from '../validation.js';
import { versionsDocument } from './versions.js';

export interface GlancePluginOptions extends AppDeps {
  /** The region this endpoint serves. */
  region: string;
}

/** What the route modules need: the services, the config and this endpoint's absolute URL. */
export interface GlanceContext {
  services: Services;
  config: Config;
  region: string;
  /** e.g. http://host:9292 or http://host:9292/regions/ap-shanghai (no trailing slash). */
  endpointUrl(): string;
  /** The image schema as served, compiled when this surface was built (PATCH values are checked by it). */
  validateImage: ImageValidator;
}

function registerParsers(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  const json = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) => {
    if (body.trim() === '') return done(null, undefined);
    try {
      done(null, parseJson(body));
    } catch (err) {
      done(err as Error);
    }
  };
  app.addContentTypeParser(
    ['application/json', PATCH_V20, PATCH_V21],
    { parseAs: 'string', bodyLimit },
    json,
  );
  // Image data: the raw request stream goes to the handler untouched (no buffering, no size limit here; the
  // image service enforces images.maxUploadBytes as the bytes arrive).
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  // Anything else is passed through as a stream too: the PUT /file and PATCH routes answer 415 themselves,
  // and the JSON routes read it as JSON (Glance parses bodies as JSON whatever their Content-Type).
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
}

export const glancePlugin: FastifyPluginAsync<GlancePluginOptions> = async (app, opts) => {
  const { services, config, region } = opts;
  const prefix = app.prefix;
  const g: GlanceContext = {
    services,
    config,
    region,
    endpointUrl: () => `${publicBaseUrl(config)}${prefix}`,
    validateImage: compile(imageSchema),
  };

  registerParsers(app, config.server.bodyLimitBytes);
  // Route schemas (the image body, member bodies) are checked by the project's one Ajv (../validation.ts).
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(glanceErrorHandler(() => identityUri(publicBaseUrl(config))));
  app.addHook('onRequest', authHook(services, region));
  if (prefix) {
    app.setNotFoundHandler(async (request) => {
      throw new GlanceHttpError(404, `The resource could not be found: ${request.method} ${request.url}`);
    });
  }

  // Version discovery: GET <endpoint>/ is 300 (Tempest test_list_versions), /versions 200; no token.
  app.get('/', { config: { public: true } }, async (_request, reply) =>
    reply.code(300).send(versionsDocument(g.endpointUrl())),
  );
  route(app, '/versions', {
    GET: { public: true, handler: async () => versionsDocument(g.endpointUrl()) },
  });

  for (const [name, schema] of Object.entries(schemas)) {
    route(app, `/v2/schemas/${name}`, { GET: { rejectBody: true, handler: async () => schema } });
  }

  imageRoutes(app, g);
  lifecycleRoutes(app, g);
  dataRoutes(app, g);
  memberRoutes(app, g);
  groupRoutes(app, g);
  guardrailRoutes(app, g);
  // The inbox and webhooks belong to the account, not to a region: served at the root endpoint only.
  if (!prefix) notificationRoutes(app, g);

  // Discovery of import methods and stores (spec §1.9): no interoperable import, a single store.
  route(app, '/v2/info/import', {
    GET: {
      handler: async (request) => {
        requestContext(request);
        return {
          'import-methods': { description: 'Import methods available.', type: 'array', value: [] },
        };
      },
    },
  });
  const noMultiStore = async () => {
    throw new GlanceHttpError(404, 'Multi backend is not supported at this site.');
  };
  route(app, '/v2/info/stores', { GET: { handler: noMultiStore } });
  route(app, '/v2/info/stores/detail', { GET: { handler: noMultiStore } });
};
