// imageshare's notifications extension of the image API (docs/api/notifications.md): the caller's inbox and
// its webhooks. Served at the root endpoint only (they belong to the account, not to a region). The rules
// and the paging live in NotificationService; this file only translates.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { eventDocument, MAX_WEBHOOK_URL_LENGTH } from '../../domain/notifications.js';
import type { DeliveryRecord, InboxEntry, WebhookView } from '../../services/notification.service.js';
import { requestContext } from './auth.js';
import { badRequest } from './errors.js';
import type { GlanceContext } from './plugin.js';
import { queryLists, route } from './routing.js';

const NO_CONTROL = '^[^\\u0000-\\u001f]*$';

export const webhookCreateBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH, pattern: NO_CONTROL }),
    description: Type.Optional(Type.String({ maxLength: 255, pattern: NO_CONTROL })),
  },
  { additionalProperties: false },
);

export const inboxMarkBody = Type.Object({ read: Type.Boolean() }, { additionalProperties: false });

/** The entry as the API shows it: the event, and whether (and when) the caller read it. */
export function inboxEntryBody(entry: InboxEntry) {
  return { ...eventDocument(entry.event), read: entry.readAt !== null, read_at: entry.readAt };
}

export function webhookBody(webhook: WebhookView) {
  return {
    id: webhook.id,
    url: webhook.url,
    description: webhook.description,
    created_at: webhook.createdAt,
    self: `/v2/webhooks/${webhook.id}`,
  };
}

export function deliveryBody(d: DeliveryRecord) {
  return {
    id: d.id,
    event_id: d.eventId,
    state: d.state,
    attempts: d.attempts,
    next_attempt_at: d.state === 'pending' ? d.nextAttemptAt : null,
    last_attempt_at: d.lastAttemptAt,
    last_status: d.lastStatus,
    last_error: d.lastError,
    delivered_at: d.deliveredAt,
    created_at: d.createdAt,
  };
}

/** `marker`, `limit` and the named flags of a list query, each at most once; anything else is a 400. */
function pageQuery(request: FastifyRequest, flags: string[] = []) {
  const query = queryLists(request.url);
  const out: { marker?: string; limit?: number; flags: Record<string, boolean> } = { flags: {} };
  for (const [name, values] of Object.entries(query)) {
    if (values.length !== 1) throw badRequest(`${name} may be given once.`);
    const value = values[0] as string;
    if (name === 'marker') {
      if (value.length === 0 || value.length > 64 || !/^[a-z0-9-]+$/.test(value))
        throw badRequest('marker must be an ID from a previous page.');
      out.marker = value;
    } else if (name === 'limit') {
      if (!/^[0-9]{1,4}$/.test(value)) throw badRequest('limit must be an integer from 1 to 100.');
      out.limit = Number(value);
    } else if (flags.includes(name)) {
      if (value !== 'true' && value !== 'false') throw badRequest(`${name} must be true or false.`);
      out.flags[name] = value === 'true';
    } else {
      throw badRequest(`Unknown query parameter ${name.slice(0, 64)}.`);
    }
  }
  return out;
}

function nextLink(
  path: string,
  next: string | null,
  limit: number | undefined,
  extra = '',
): string | undefined {
  if (next === null) return undefined;
  return `${path}?marker=${next}${limit !== undefined ? `&limit=${limit}` : ''}${extra}`;
}

export function notificationRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;

  route(app, '/v2/inbox', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const q = pageQuery(request, ['unread']);
        const unreadOnly = q.flags.unread ?? false;
        const page = await services.notifications.inbox(requestContext(request), {
          ...(q.marker !== undefined ? { marker: q.marker } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
          unreadOnly,
        });
        const next = nextLink('/v2/inbox', page.next, q.limit, unreadOnly ? '&unread=true' : '');
        return {
          events: page.entries.map(inboxEntryBody),
          unread_count: page.unread,
          first: '/v2/inbox',
          ...(next ? { next } : {}),
        };
      },
    },
  });

  route(app, '/v2/inbox/read-all', {
    POST: {
      rejectBody: true,
      handler: async (request) => ({
        marked: await services.notifications.markAllRead(requestContext(request)),
      }),
    },
  });

  route(app, '/v2/inbox/:eventId', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { eventId } = request.params as { eventId: string };
        return inboxEntryBody(await services.notifications.inboxEntry(requestContext(request), eventId));
      },
    },
    PUT: {
      json: 'object',
      schema: { body: inboxMarkBody },
      handler: async (request) => {
        const { eventId } = request.params as { eventId: string };
        const { read } = request.body as Static<typeof inboxMarkBody>;
        return inboxEntryBody(await services.notifications.markRead(requestContext(request), eventId, read));
      },
    },
  });

  route(app, '/v2/webhooks', {
    GET: {
      rejectBody: true,
      handler: async (request) => ({
        webhooks: (await services.notifications.listWebhooks(requestContext(request))).map(webhookBody),
      }),
    },
    POST: {
      json: 'object',
      schema: { body: webhookCreateBody },
      handler: async (request, reply) => {
        const body = request.body as Static<typeof webhookCreateBody>;
        const { webhook, secret } = await services.notifications.createWebhook(requestContext(request), {
          url: body.url,
          ...(body.description !== undefined ? { description: body.description } : {}),
        });
        // The secret is in this answer only: it is stored sealed and never shown again.
        return reply
          .code(201)
          .header('location', `${g.endpointUrl()}/v2/webhooks/${webhook.id}`)
          .header('cache-control', 'no-store')
          .send({ ...webhookBody(webhook), secret });
      },
    },
  });

  route(app, '/v2/webhooks/:webhookId', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { webhookId } = request.params as { webhookId: string };
        return webhookBody(await services.notifications.getWebhook(requestContext(request), webhookId));
      },
    },
    DELETE: {
      rejectBody: true,
      handler: async (request, reply) => {
        const { webhookId } = request.params as { webhookId: string };
        await services.notifications.deleteWebhook(requestContext(request), webhookId);
        return reply.code(204).send();
      },
    },
  });

  route(app, '/v2/webhooks/:webhookId/deliveries', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { webhookId } = request.params as { webhookId: string };
        const q = pageQuery(request);
        const page = await services.notifications.deliveries(requestContext(request), webhookId, {
          ...(q.marker !== undefined ? { marker: q.marker } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        });
        const next = nextLink(`/v2/webhooks/${webhookId}/deliveries`, page.next, q.limit);
        return { deliveries: page.deliveries.map(deliveryBody), ...(next ? { next } : {}) };
      },
    },
  });
}
