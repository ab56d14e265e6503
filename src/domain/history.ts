// The audit trail of image changes (the console's History): what was done to which image, by whom, through
// which way in. An entry is seen by the image's owner and by every account it names (actor or target), so
// both sides of a share see it (HistoryStore.listVisibleTo).

/** The ways into the service; every request context says which one it came through. */
export const surfaces = ['openstack', 'tencent', 'tencent-legacy', 'console'] as const;
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
