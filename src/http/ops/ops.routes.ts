// Health and readiness for load balancers and orchestrators. No authentication: they reveal nothing.
// /healthz: the process answers. /readyz: it can also serve requests, as both the database and the blob
// store answer; a balancer should route to a node only while this says 200.
import type { FastifyPluginAsync } from 'fastify';
import { pingDatabase } from '../../repositories/db/database.js';
import type { AppDeps } from '../app.js';

export const opsRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const [database, blobs] = await Promise.all([
      pingDatabase(deps.db).then(
        () => 'ok' as const,
        (err: unknown) => {
          request.log.error({ err }, 'readiness check: database unreachable');
          return 'unreachable' as const;
        },
      ),
      deps.blobs.ping().then(
        () => 'ok' as const,
        (err: unknown) => {
          request.log.error({ err }, 'readiness check: blob store unreachable');
          return 'unreachable' as const;
        },
      ),
    ]);
    const ready = database === 'ok' && blobs === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', database, blobs });
  });
};
