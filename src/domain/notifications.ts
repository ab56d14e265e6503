// Notifications (issue 12): which events exist, which accounts each one concerns, and the rules of webhooks
// (which targets a webhook may name, how deliveries back off). Pure functions over plain facts: the services
// write the events in the transaction of the change (src/services/events.ts) and deliver them.
import { isIP } from 'node:net';
import { fail } from './errors.js';

export const eventTypes = [
  'share.created', // an owner shared an image with an account
  'share.cancelled', // the owner cancelled a share, the receiver left it, or the image's deletion ended it
  'share.expiring', // a share's end time is near (sent once per end time)
  'image.deleted', // an image that was shared was deleted
  'image.launched', // another account launched an instance from the owner's image
  'image.deprecated', // reserved for the lifecycle feature: an image was deprecated
] as const;
export type EventType = (typeof eventTypes)[number];

export function isEventType(value: string): value is EventType {
  return (eventTypes as readonly string[]).includes(value);
}

/** One event, as it is stored once and shown in every inbox and webhook body it reaches. */
export interface NotificationEvent {
  /** `evt-` + 32 hex digits: unique across nodes; receivers de-duplicate deliveries by it. */
  id: string;
  type: EventType;
  /** When it happened (the services' clock), ISO-8601 UTC. */
  at: string;
  imageId: string;
  imageName: string | null;
  region: string;
  ownerId: string;
  /** Who caused it; `system` for events the service raises by itself (expiring soon). */
  actorId: string;
  /** The receiving account a share event is about, if any. */
  targetAccountId: string | null;
  /** Short facts of the event (a share's end time, an instance ID). */
  details: Record<string, string>;
}

export const SYSTEM_ACTOR = 'system';

/** The facts that decide who an event concerns. */
export interface EventAudienceFacts {
  type: EventType;
  ownerId: string;
  actorId: string;
  targetAccountId: string | null;
  /** The image's receivers when it happened (deleted, deprecated images tell every receiver). */
  receivers?: string[];
}

/**
 * The accounts an event concerns, each once: both sides of a share event (a group share's side: the group's
 * accounts, as `receivers`), the owner and every receiver of a
 * deleted or deprecated image, and the owner alone of a launch by another account (a launch by the owner
 * concerns nobody).
 */
export function eventAudience(facts: EventAudienceFacts): string[] {
  const accounts: string[] = [];
  switch (facts.type) {
    case 'share.created':
    case 'share.cancelled':
    case 'share.expiring':
      accounts.push(facts.ownerId);
      if (facts.targetAccountId) accounts.push(facts.targetAccountId);
      // A share with a group: every account in the group.
      accounts.push(...(facts.receivers ?? []));
      break;
    case 'image.deleted':
    case 'image.deprecated':
      accounts.push(facts.ownerId, ...(facts.receivers ?? []));
      break;
    case 'image.launched':
      if (facts.actorId !== facts.ownerId) accounts.push(facts.ownerId);
      break;
  }
  return [...new Set(accounts)];
}

/**
 * Whether a share with this end time is due its "expiring soon" event at `now`: it has an end, the end is
 * still ahead, and it is no further than `leadSeconds` away; and no event was sent for this very end time
 * (`noticedFor`, the end time the last event was about: a new end time earns a new event).
 */
export function isExpiringSoon(
  share: { expiresAt: string | null; noticedFor: string | null },
  now: string,
  leadSeconds: number,
): boolean {
  if (!share.expiresAt || share.noticedFor === share.expiresAt) return false;
  const end = Date.parse(share.expiresAt);
  const at = Date.parse(now);
  return end > at && end - at <= leadSeconds * 1000;
}

// ---- webhooks -------------------------------------------------------------------------------------------

export const MAX_WEBHOOK_URL_LENGTH = 2048;
export const MAX_WEBHOOK_DESCRIPTION_LENGTH = 255;

export interface WebhookPolicy {
  maxPerAccount: number;
  /** Operators (and tests) may allow loopback, private and link-local targets; off by default (SSRF). */
  allowPrivateTargets: boolean;
}

/**
 * Checks a webhook URL as given: http or https, a host, no credentials, no fragment, bounded; an address
 * literal must be public unless the operator allows private targets. A host name is checked again on every
 * delivery against the addresses it resolves to then (isBlockedAddress), since DNS may change.
 */
export function assertValidWebhookUrl(raw: string, policy: Pick<WebhookPolicy, 'allowPrivateTargets'>): URL {
  const invalid = (why: string) => fail('InvalidInput', `Invalid webhook URL: ${why}`, { field: 'url' });
  if (raw.length === 0 || raw.length > MAX_WEBHOOK_URL_LENGTH)
    throw invalid(`it must be 1 to ${MAX_WEBHOOK_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('it is not an absolute URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid('the scheme must be http or https.');
  if (url.username || url.password) throw invalid('it must not carry a user name or password.');
  if (url.hash) throw invalid('it must not have a fragment.');
  if (!url.hostname) throw invalid('it has no host.');
  const host = bareHost(url.hostname);
  if (isIP(host) && !policy.allowPrivateTargets && isBlockedAddress(host))
    throw invalid('it names a loopback, private, link-local or otherwise non-public address.');
  if (!isIP(host) && !policy.allowPrivateTargets && isLocalName(host))
    throw invalid('it names a local host.');
  return url;
}

/** A URL's host without the brackets of an IPv6 literal. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function isLocalName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal');
}

function ipv4Parts(address: string): number[] {
  return address.split('.').map(Number);
}

/** Ranges no webhook may reach by default: IANA special-purpose, private, loopback, link-local, multicast. */
export function isBlockedAddress(address: string): boolean {
  const kind = isIP(address);
  if (kind === 4) {
    const [a, b] = ipv4Parts(address) as [number, number, number, number];
    return (
      a === 0 || // "this" network
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
      (a === 169 && b === 254) || // link-local, cloud metadata services
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0) || // IETF protocol assignments, 192.0.0.0/24 and 192.0.2.0/24 (TEST-NET-1)
      (a === 198 && (b === 18 || b === 19)) || // benchmarking
      (a === 198 && b === 51) || // TEST-NET-2
      (a === 203 && b === 0) || // TEST-NET-3
      a >= 224 // multicast, reserved, broadcast
    );
  }
  if (kind === 6) {
    const lower = address.toLowerCase();
    const first = parseInt(lower.split(':')[0] || '0', 16);
    return (
      // ::/8 holds no public address: unspecified, loopback, IPv4-mapped (::ffff:7f00:1 is 127.0.0.1, as the
      // URL parser writes it) and IPv4-compatible ones
      first < 0x100 ||
      (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
      (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
      (first & 0xff00) === 0xff00 || // multicast
      lower.startsWith('64:ff9b:') || // NAT64 (may reach IPv4 private ranges)
      lower.startsWith('2001:db8:') // documentation
    );
  }
  return true;
}

export function assertWebhookDescription(description: string): void {
  if (
    description.length > MAX_WEBHOOK_DESCRIPTION_LENGTH ||
    [...description].some((c) => c.charCodeAt(0) < 32)
  )
    throw fail(
      'InvalidInput',
      `A webhook description is at most ${MAX_WEBHOOK_DESCRIPTION_LENGTH} characters, without control characters.`,
      { field: 'description' },
    );
}

export function assertWithinWebhookLimit(
  current: number,
  policy: Pick<WebhookPolicy, 'maxPerAccount'>,
): void {
  if (current >= policy.maxPerAccount)
    throw fail('QuotaExceeded', `An account may register at most ${policy.maxPerAccount} webhooks.`);
}

export interface RetryPolicy {
  maxAttempts: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
}

/**
 * What follows a failed attempt (the `attempts`-th): give up once maxAttempts are spent, else retry after an
 * exponential delay (base, 2 x base, 4 x base, ...) capped at retryMaxSeconds.
 */
export function afterFailedAttempt(
  attempts: number,
  policy: RetryPolicy,
): { giveUp: true } | { giveUp: false; delaySeconds: number } {
  if (attempts >= policy.maxAttempts) return { giveUp: true };
  const delaySeconds = Math.min(
    policy.retryMaxSeconds,
    policy.retryBaseSeconds * 2 ** Math.max(0, attempts - 1),
  );
  return { giveUp: false, delaySeconds };
}

/**
 * An event as every surface shows it, and as the body of its webhook deliveries (one shape, so an inbox
 * entry and a delivery about the same event agree; field names in Glance's snake_case).
 */
export function eventDocument(event: NotificationEvent) {
  return {
    id: event.id,
    type: event.type,
    at: event.at,
    image: { id: event.imageId, name: event.imageName, region: event.region, owner_id: event.ownerId },
    actor_id: event.actorId,
    target_account_id: event.targetAccountId,
    details: event.details,
  };
}
export type EventDocument = ReturnType<typeof eventDocument>;
