// Health and readiness for load balancers and orchestrators. No authentication: they reveal nothing.
// /healthz: the process answers. /readyz: it can also serve requests, as every dependency in
// `deps.readiness` (the database and the blob store, named by main.ts) answers; a balancer should route to a
// node only while this says 200. The HTTP layer does not reach storage itself.
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app.js';

export const opsRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const checks = await Promise.all(
      Object.entries(deps.readiness).map(([name, ping]) =>
        ping().then(
          () => [name, 'ok'] as const,
          (err: unknown) => {
            request.log.error({ err }, `readiness check: ${name} unreachable`);
            return [name, 'unreachable'] as const;
          },
        ),
      ),
    );
    const ready = checks.every(([, state]) => state === 'ok');
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ok' : 'unavailable', ...Object.fromEntries(checks) });
  });
};
