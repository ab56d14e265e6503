// Health and readiness for load balancers and orchestrators. No authentication: they reveal nothing.
import type { FastifyPluginAsync } from 'fastify';
import { pingDatabase } from '../../repositories/db/database.js';
import type { AppDeps } from '../app.js';

export const opsRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await pingDatabase(deps.db);
      return { status: 'ok', database: 'ok' };
    } catch (err) {
      request.log.error({ err }, 'readiness check: database unreachable');
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });
};
