// The inbox and webhooks (issue 12): types, query keys and fetchers, kept beside each other.
import { useQuery } from '@tanstack/react-query';
import { api, query } from './client';

export type EventType =
  | 'share.created'
  | 'share.cancelled'
  | 'share.expiring'
  | 'image.deleted'
  | 'image.launched'
  | 'image.deprecated';

export interface InboxEntry {
  id: string;
  type: EventType;
  at: string;
  imageId: string;
  imageName: string | null;
  region: string;
  ownerId: string;
  actorId: string;
  targetAccountId: string | null;
  details: Record<string, string>;
  read: boolean;
}

export interface InboxPage {
  items: InboxEntry[];
  unread: number;
  next: string | null;
}

export interface Webhook {
  id: string;
  url: string;
  description: string;
  createdAt: string;
}

export interface NewWebhook extends Webhook {
  secret: string;
}

export const notificationKeys = {
  inbox: ['inbox'] as const,
  inboxPage: (params: { marker?: string; unread: boolean }) => ['inbox', 'page', params] as const,
  unread: ['inbox', 'unread'] as const,
  webhooks: ['webhooks'] as const,
};

/** How often the badge asks again while the console is open (events also come from the other APIs). */
const BADGE_INTERVAL_MS = 30_000;

export function useUnreadCount() {
  return useQuery({
    queryKey: notificationKeys.unread,
    queryFn: ({ signal }) => api<{ unread: number }>('GET', '/inbox/unread', { signal }),
    refetchInterval: BADGE_INTERVAL_MS,
    refetchOnWindowFocus: true,
  });
}

export function useInbox(params: { marker?: string; unread: boolean; limit: number }) {
  return useQuery({
    refetchOnMount: 'always',
    // Events arrive from every API: switching between All and Unread asks again, however recent the cache.
    staleTime: 0,
    queryKey: notificationKeys.inboxPage({
      ...(params.marker ? { marker: params.marker } : {}),
      unread: params.unread,
    }),
    queryFn: ({ signal }) =>
      api<InboxPage>(
        'GET',
        `/inbox${query({ marker: params.marker, limit: params.limit, unread: params.unread ? 'true' : undefined })}`,
        { signal },
      ),
  });
}

export function useWebhooks() {
  return useQuery({
    refetchOnMount: 'always',
    queryKey: notificationKeys.webhooks,
    queryFn: ({ signal }) => api<{ items: Webhook[] }>('GET', '/webhooks', { signal }),
  });
}
