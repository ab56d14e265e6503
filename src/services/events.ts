// The one call that records a notification event (issue 12), from inside the service transaction of the
// change that causes it, so the change and its event commit or roll back together (the outbox):
//
//   await recordEvent(stores, { type: 'image.deprecated', image: row, actorId: ctx.caller.accountId,
//                               receivers, at: now, details: { replacement: 'img-...' } });
//
// It writes the event once, an inbox entry for every account the event concerns (domain/notifications.ts
// eventAudience; already read for the account that caused it), and a pending delivery for each of their
// webhooks, which the dispatchers (webhook-dispatcher.ts) send after the commit.
import { randomBytes } from 'node:crypto';
import { eventAudience, type EventType, type NotificationEvent } from '../domain/notifications.js';
import type { NotificationStore } from '../repositories/image-stores.js';

/** The part of a transaction's stores an event needs. */
export interface EventWriter {
  notifications: Pick<NotificationStore, 'record'>;
}

export interface EventInput {
  type: EventType;
  /** The image as it was when it happened. */
  image: { id: string; name: string | null; owner_id: string; region: string };
  /** The account that caused it, or SYSTEM_ACTOR. */
  actorId: string;
  /** The receiver a share event is about. */
  targetAccountId?: string | null;
  /** The image's receivers when it happened (deleted and deprecated images tell them all). */
  receivers?: string[];
  /** The instant of the change, from the services' clock. */
  at: string;
  details?: Record<string, string>;
}

/** `evt-` and 32 hex digits from a CSPRNG: unique across nodes, and what receivers de-duplicate by. */
export function newEventId(): string {
  return `evt-${randomBytes(16).toString('hex')}`;
}

export function newDeliveryId(): string {
  return `dlv-${randomBytes(16).toString('hex')}`;
}

/** Records the event in the caller's transaction; returns it (null when it concerns nobody). */
export async function recordEvent(stores: EventWriter, input: EventInput): Promise<NotificationEvent | null> {
  const audience = eventAudience({
    type: input.type,
    ownerId: input.image.owner_id,
    actorId: input.actorId,
    targetAccountId: input.targetAccountId ?? null,
    ...(input.receivers ? { receivers: input.receivers } : {}),
  });
  if (audience.length === 0) return null;
  const event: NotificationEvent = {
    id: newEventId(),
    type: input.type,
    at: input.at,
    imageId: input.image.id,
    imageName: input.image.name,
    region: input.image.region,
    ownerId: input.image.owner_id,
    actorId: input.actorId,
    targetAccountId: input.targetAccountId ?? null,
    details: input.details ?? {},
  };
  await stores.notifications.record(event, audience, input.actorId, newDeliveryId);
  return event;
}

/** The facade the services call: `events.record(stores, {...})`. */
export const events = { record: recordEvent };
