// The console's notifications (issue 12): the inbox behind the header's badge, and the account's webhooks.
// The same NotificationService as the OpenStack extension (/v2/inbox, /v2/webhooks); only the shapes differ
// (camelCase, the console's envelope).
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { eventTypes, MAX_WEBHOOK_URL_LENGTH } from '../../domain/notifications.js';
import type { DeliveryRecord, InboxEntry, WebhookView } from '../../services/notification.service.js';
import type { ConsoleDeps } from './context.js';
import { ErrorBody } from './schemas.js';
import { consoleState } from './session.js';

const errors = { '4xx': ErrorBody };
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' });

const InboxEntryView = Type.Object({
  id: Type.String(),
  type: Type.Union(eventTypes.map((t) => Type.Literal(t))),
  at: Type.String({ description: 'ISO-8601 UTC' }),
  imageId: Type.String(),
  imageName: Nullable(Type.String()),
  region: Type.String(),
  ownerId: Type.String(),
  actorId: Type.String(),
  targetAccountId: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.String()),
  read: Type.Boolean(),
});
const InboxQuery = Type.Object(
  {
    marker: Type.Optional(Id),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    unread: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const InboxPageView = Type.Object({
  items: Type.Array(InboxEntryView),
  unread: Type.Integer(),
  next: Nullable(Type.String({ description: 'the marker of the next page' })),
});
const EventParams = Type.Object({ eventId: Id });
const MarkBody = Type.Object({ read: Type.Boolean() }, { additionalProperties: false });

const WebhookViewSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
});
const NewWebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH }),
    description: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);
const NewWebhookView = Type.Intersect([
  WebhookViewSchema,
  Type.Object({ secret: Type.String({ description: 'shown once: store it now' }) }),
]);
const WebhookParams = Type.Object({ webhookId: Id });
const DeliveryView = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  lastAttemptAt: Nullable(Type.String()),
  lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  deliveredAt: Nullable(Type.String()),
});
const DeliveriesQuery = Type.Object(
  { marker: Type.Optional(Id), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) },
  { additionalProperties: false },
);

function inboxEntryView(entry: InboxEntry): Static<typeof InboxEntryView> {
  const e = entry.event;
  return {
    id: e.id,
    type: e.type,
    at: e.at,
    imageId: e.imageId,
    imageName: e.imageName,
    region: e.region,
    ownerId: e.ownerId,
    actorId: e.actorId,
    targetAccountId: e.targetAccountId,
    details: e.details,
    read: entry.readAt !== null,
  };
}

function webhookView(w: WebhookView): Static<typeof WebhookViewSchema> {
  return { id: w.id, url: w.url, description: w.description, createdAt: w.createdAt };
}

function deliveryView(d: DeliveryRecord): Static<typeof DeliveryView> {
  return {
    id: d.id,
    eventId: d.eventId,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt : null,
    lastAttemptAt: d.lastAttemptAt,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt,
  };
}

export function notificationRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { notifications } = deps.services;

  app.get<{ Querystring: Static<typeof InboxQuery> }>(
    '/inbox',
    {
      schema: {
        tags: ['notifications'],
        summary: 'My inbox: what happened to my shared images and images shared with me, newest first',
        querystring: InboxQuery,
        response: { 200: InboxPageView, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await notifications.inbox(consoleState(request).ctx, {
        ...(q.marker !== undefined ? { marker: q.marker } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
        unreadOnly: q.unread ?? false,
      });
      return { items: page.entries.map(inboxEntryView), unread: page.unread, next: page.next };
    },
  );

  app.get(
    '/inbox/unread',
    {
      schema: {
        tags: ['notifications'],
        summary: 'How many entries of my inbox are unread (the badge)',
        response: { 200: Type.Object({ unread: Type.Integer() }), ...errors },
      },
    },
    async (request) => ({ unread: await notifications.unreadCount(consoleState(request).ctx) }),
  );

  app.put<{ Params: Static<typeof EventParams>; Body: Static<typeof MarkBody> }>(
    '/inbox/:eventId',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark an entry of my inbox read or unread',
        params: EventParams,
        body: MarkBody,
        response: { 200: InboxEntryView, ...errors },
      },
    },
    async (request) =>
      inboxEntryView(
        await notifications.markRead(consoleState(request).ctx, request.params.eventId, request.body.read),
      ),
  );

  app.post(
    '/inbox/read-all',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark every entry of my inbox read',
        response: { 200: Type.Object({ marked: Type.Integer() }), ...errors },
      },
    },
    async (request) => ({ marked: await notifications.markAllRead(consoleState(request).ctx) }),
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags: ['notifications'],
        summary: 'My webhooks (their secrets are never shown again)',
        response: { 200: Type.Object({ items: Type.Array(WebhookViewSchema) }), ...errors },
      },
    },
    async (request) => ({
      items: (await notifications.listWebhooks(consoleState(request).ctx)).map(webhookView),
    }),
  );

  app.post<{ Body: Static<typeof NewWebhookBody> }>(
    '/webhooks',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Register a webhook; the answer holds its signing secret, once',
        body: NewWebhookBody,
        response: { 201: NewWebhookView, ...errors },
      },
    },
    async (request, reply) => {
      const { webhook, secret } = await notifications.createWebhook(consoleState(request).ctx, {
        url: request.body.url,
        ...(request.body.description !== undefined ? { description: request.body.description } : {}),
      });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...webhookView(webhook), secret });
    },
  );

  app.delete<{ Params: Static<typeof WebhookParams> }>(
    '/webhooks/:webhookId',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Remove a webhook (its deliveries not yet made are dropped)',
        params: WebhookParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await notifications.deleteWebhook(consoleState(request).ctx, request.params.webhookId);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof WebhookParams>; Querystring: Static<typeof DeliveriesQuery> }>(
    '/webhooks/:webhookId/deliveries',
    {
      schema: {
        tags: ['notifications'],
        summary: "A webhook's deliveries, newest first: state, attempts, last answer",
        params: WebhookParams,
        querystring: DeliveriesQuery,
        response: {
          200: Type.Object({ items: Type.Array(DeliveryView), next: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const page = await notifications.deliveries(consoleState(request).ctx, request.params.webhookId, {
        ...(request.query.marker !== undefined ? { marker: request.query.marker } : {}),
        ...(request.query.limit !== undefined ? { limit: request.query.limit } : {}),
      });
      return { items: page.deliveries.map(deliveryView), next: page.next };
    },
  );
}
