// The audit trail of image changes (the console's History): what was done to which image, by whom, through
// which way in. An entry is seen by the image's owner and by every account it names (actor or target), so
// both sides of a share see it (HistoryStore.listVisibleTo).

/**
 * The ways into the service; every request context says which one it came through. `service`: no request,
 * the service itself (a share's end reached, services/share-ends.ts; the recycle bin's purge).
 */
export const surfaces = ['openstack', 'tencent', 'tencent-legacy', 'console', 'service'] as const;
export type Surface = (typeof surfaces)[number];

export const historyActions = [
  'share',
  'cancel',
  'accept',
  'reject',
  'leave',
  'delete',
  'launch',
  'create',
  'upload',
  'copy',
  'rename',
  'terms', // the owner changed a share's end time or what its receiver may do
  'consent', // the owner changed the consent an image asks of its receivers
  'deprecate', // lifecycle (issue 12): deprecated, or its replacement or obsolescence date changed
  'undeprecate',
  'disable', // every share suspended
  'enable', // every share back as it was
  'protect', // deletion protection set
  'unprotect',
  'restore', // out of the recycle bin
  'purge', // the recycle bin's retention ended: deleted for good
  'expire', // a share reached its end time (written once, dated at the end: services/share-ends.ts)
] as const;
export type HistoryAction = (typeof historyActions)[number];

export interface HistoryEntry {
  id: string;
  at: string;
  action: HistoryAction;
  imageId: string;
  imageName: string | null;
  /** The image's owner when it happened. */
  ownerId: string;
  region: string;
  /** Who did it. */
  actorId: string;
  /** The account the change was about (the receiver of a share, cancel, ...), if any. */
  targetAccountId: string | null;
  surface: Surface;
  clientAddress: string | null;
  /** Small facts that depend on the action (e.g. the source of a copy, the instance launched). */
  details: Record<string, string>;
}
