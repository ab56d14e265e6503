// Instances (list, create from my image or one shared with me, terminate) and the history of image changes.
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { Type, type Static } from '@sinclair/typebox';
import { isDomainError } from '../../domain/errors.js';
import type { RequestContext } from '../../services/context.js';
import { inInstanceRegion, inRegion, type ConsoleDeps } from './context.js';
import {
  ErrorBody,
  HistoryPage,
  HistoryQuery,
  InstanceParams,
  InstancesPage,
  InstancesQuery,
  InstanceView,
  NewInstanceBody,
} from './schemas.js';
import { consoleState } from './session.js';
import { historyView, instanceView } from './views.js';

const errors = { '4xx': ErrorBody };

export function instanceRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { services } = deps;

  /** Names of the images instances came from, as far as the caller may still see them. */
  const imageNames = async (ctx: RequestContext, ids: string[]): Promise<Map<string, string | null>> => {
    const names = new Map<string, string | null>();
    for (const id of new Set(ids)) {
      try {
        names.set(id, (await services.images.get(ctx, id)).name);
      } catch (err) {
        if (!isDomainError(err)) throw err;
        names.set(id, null); // deleted, or no longer shared with the caller
      }
    }
    return names;
  };

  app.get<{ Querystring: Static<typeof InstancesQuery> }>(
    '/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'My instances in a region, newest first',
        querystring: InstancesQuery,
        response: { 200: InstancesPage, ...errors },
      },
    },
    async (request) => {
      const ctx = inRegion(deps, consoleState(request).ctx, request.query.region);
      const page = request.query.page ?? 1;
      const pageSize = request.query.pageSize ?? 20;
      const { instances, total } = await services.instances.list(ctx, {
        offset: (page - 1) * pageSize,
        limit: pageSize,
      });
      const names = await imageNames(
        ctx,
        instances.map((i) => i.imageId),
      );
      return {
        items: instances.map((i) => instanceView(i, names.get(i.imageId) ?? null)),
        total,
        page,
        pageSize,
      };
    },
  );

  app.post<{ Body: Static<typeof NewInstanceBody> }>(
    '/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'Create an instance from one of my images or an image shared with me',
        body: NewInstanceBody,
        response: { 201: InstanceView, ...errors },
      },
    },
    async (request, reply) => {
      const ctx = inRegion(deps, consoleState(request).ctx, request.body.region);
      const [instance] = await services.instances.launch(ctx, request.body.imageId, {
        name: request.body.name,
      });
      if (!instance) throw new Error('launch returned no instance');
      // The launch has committed: an image deleted or unshared since then shows no name, never a 404.
      const names = await imageNames(ctx, [instance.imageId]);
      return reply.code(201).send(instanceView(instance, names.get(instance.imageId) ?? null));
    },
  );

  app.delete<{ Params: Static<typeof InstanceParams> }>(
    '/instances/:id',
    {
      schema: {
        tags: ['instances'],
        summary: 'Terminate an instance',
        params: InstanceParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const ctx = await inInstanceRegion(deps, consoleState(request).ctx, request.params.id);
      await services.instances.terminate(ctx, [request.params.id]);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: Static<typeof HistoryQuery> }>(
    '/history',
    {
      schema: {
        tags: ['history'],
        summary: 'What happened to my images and images shared with me, newest first, through any API',
        querystring: HistoryQuery,
        response: { 200: HistoryPage, ...errors },
      },
    },
    async (request) => {
      const page = request.query.page ?? 1;
      const pageSize = request.query.pageSize ?? 20;
      const { entries, total } = await services.history.list(consoleState(request).ctx, {
        offset: (page - 1) * pageSize,
        limit: pageSize,
      });
      return { items: entries.map(historyView), total, page, pageSize };
    },
  );
}
