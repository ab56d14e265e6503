// Assembles the HTTP surfaces as Fastify plugins on one listener (DESIGN.md "One listener, one URL map").
// Each surface owns its routes, body parsers, auth hook and error envelope; this file only wires them.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import { trustProxySetting, type Config } from '../config.js';
import type { Services } from '../services/container.js';
import { registerRequestLog } from './request-log.js';
import { checkIntervalMs, registerSlowClientLimits } from './slow-clients.js';
import { opsRoutes } from './ops/ops.routes.js';
import { registerMetrics } from './ops/metrics.routes.js';
import { keystoneRoutes } from './keystone/keystone.routes.js';
import { glancePlugin } from './glance/plugin.js';
import { tencentApi3Plugin } from './tencent/api3/plugin.js';
import { tencentLegacyPlugin } from './tencent/legacy/plugin.js';
import { consolePlugin } from './console/plugin.js';
import { redirectBrowsersToConsole } from './console/browser.js';

export interface AppDeps {
  config: Config;
  /** What /readyz checks, by name: each resolves when that dependency answers (`database`, `blobs`). */
  readiness: Record<string, () => Promise<void>>;
  services: Services;
  logger: FastifyBaseLogger;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    // Glance's request ID format; clients (glanceclient, Tempest) read it back from x-openstack-request-id.
    genReqId: () => `req-${randomUUID()}`,
    bodyLimit: deps.config.server.bodyLimitBytes,
    // Off unless configured: request.ip is then the socket's peer, and X-Forwarded-For cannot pick it.
    trustProxy: trustProxySetting(deps.config),
    routerOptions: {
      // Keep `/v2/images/` (trailing slash, empty id) distinct from `/v2/images`: Glance answers 404 there.
      ignoreTrailingSlash: false,
      maxParamLength: 500,
    },
    // Slow and oversized clients (slow-clients.ts): Node enforces the header block's size and time and idle
    // sockets; the bodies are watched by registerSlowClientLimits. No overall request timeout: image uploads
    // may rightly take hours, so bodies are bounded by progress instead.
    http: {
      maxHeaderSize: deps.config.server.maxHeaderBytes,
      connectionsCheckingInterval: checkIntervalMs(deps.config.server.timeouts),
    },
    connectionTimeout: deps.config.server.timeouts.idleMs,
    keepAliveTimeout: deps.config.server.timeouts.keepAliveMs,
    requestTimeout: 0,
    return503OnClosing: true,
    // One line per request, written when the response is sent with the caller's account ID (request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
  });

  app.server.headersTimeout = deps.config.server.timeouts.headersMs;
  registerSlowClientLimits(app, deps.config.server);
  registerRequestLog(app);
  registerMetrics(app, deps.config);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
  });

  // A browser opening the root lands in the console; API clients keep version discovery at `GET /`.
  app.addHook('onRequest', redirectBrowsersToConsole);

  await app.register(opsRoutes, deps);
  await app.register(keystoneRoutes, { ...deps, prefix: '/identity' });
  // OpenStack Image API v2: the default region at the root, every region under /regions/<name>.
  await app.register(glancePlugin, { ...deps, region: deps.config.regions[0] as string });
  for (const region of deps.config.regions) {
    await app.register(glancePlugin, { ...deps, region, prefix: `/regions/${region}` });
  }
  // Tencent API 3.0 shares the root path with the image API: it owns `POST /`, and its `GET /` route carries
  // the `tencentApi` constraint (an X-TC-Action header or an Action query parameter), so plain `GET /` still
  // reaches the image API's version discovery. See tencent/api3/plugin.ts.
  await app.register(tencentApi3Plugin, { config: deps.config, services: deps.services });
  // Tencent's legacy v2 action API: GET and POST /v2/index.php (a static path beside Glance's /v2/images...).
  await app.register(tencentLegacyPlugin, { config: deps.config, services: deps.services });
  // The web console and its JSON API under /console (DESIGN.md "One listener, one URL map").
  await app.register(consolePlugin, { config: deps.config, services: deps.services, prefix: '/console' });
  return app;
}
