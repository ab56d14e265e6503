// What can be done to an image, by tab: the owner's full set on custom images; on shared images the receiver's
// only ones (accept / reject, create instance, leave): no rename, delete or share is offered there.
import { Button } from '../../components/Button';
import { api } from '../../api/client';
import { keys } from '../../api/queries';
import type { ImageKind, ImageView } from '../../api/types';
import { useChange } from '../../app/useChange';
import { useI18n } from '../../i18n';

export type ImageDialog =
  | { type: 'upload' }
  | { type: 'share'; image: ImageView }
  | { type: 'sharing'; image: ImageView }
  | { type: 'copy'; image: ImageView }
  | { type: 'edit'; image: ImageView }
  | { type: 'lifecycle'; image: ImageView }
  | { type: 'delete'; image: ImageView }
  | { type: 'launch'; image: ImageView }
  | { type: 'leave'; image: ImageView };

export function ImageActions({
  image,
  kind,
  onOpen,
}: {
  image: ImageView;
  kind: ImageKind;
  onOpen(dialog: ImageDialog): void;
}) {
  const { t } = useI18n();
  const respond = useChange({
    run: (status: 'accepted' | 'rejected') =>
      api<ImageView>('PUT', `/shared/${encodeURIComponent(image.id)}/status`, { body: { status } }),
    touches: [keys.images, keys.history],
    doneMessage: (_data, status) => t(status === 'accepted' ? 'shared.accepted' : 'shared.rejected'),
    reportErrors: true,
  });
  const name = image.name || image.id;
  // A deprecated image past its obsolescence date launches nothing new (the service refuses it too).
  const obsolete = image.obsoleteAt !== null && Date.parse(image.obsoleteAt) <= Date.now();
  const launchable = image.status === 'active' && image.shareStatus !== 'rejected' && !obsolete;

  const action = (
    label: string,
    onClick: () => void,
    extra: { disabled?: boolean; danger?: boolean } = {},
  ) => (
    <Button
      key={label}
      variant="text"
      theme={extra.danger ? 'danger' : 'primary'}
      size="small"
      disabled={extra.disabled}
      aria-label={`${label}: ${name}`}
      onClick={onClick}
    >
      {label}
    </Button>
  );

  if (kind === 'custom') {
    return (
      <div className="row-actions">
        {action(t('action.share'), () => onOpen({ type: 'share', image }), {
          disabled: image.status !== 'active',
        })}
        {action(t('action.sharing'), () => onOpen({ type: 'sharing', image }))}
        {action(t('action.launch'), () => onOpen({ type: 'launch', image }), { disabled: !launchable })}
        {action(t('action.copy'), () => onOpen({ type: 'copy', image }), {
          disabled: image.status !== 'active',
        })}
        {action(t('action.edit'), () => onOpen({ type: 'edit', image }))}
        {action(t('action.lifecycle'), () => onOpen({ type: 'lifecycle', image }))}
        {action(t('action.delete'), () => onOpen({ type: 'delete', image }), { danger: true })}
      </div>
    );
  }
  if (kind === 'shared') {
    return (
      <div className="row-actions">
        {image.shareStatus !== 'accepted'
          ? action(t('action.accept'), () => respond.mutate('accepted'), { disabled: respond.isPending })
          : null}
        {image.shareStatus !== 'rejected'
          ? action(t('action.reject'), () => respond.mutate('rejected'), { disabled: respond.isPending })
          : null}
        {action(t('action.launch'), () => onOpen({ type: 'launch', image }), { disabled: !launchable })}
        {action(t('action.leave'), () => onOpen({ type: 'leave', image }), { danger: true })}
      </div>
    );
  }
  return (
    <div className="row-actions">
      {action(t('action.launch'), () => onOpen({ type: 'launch', image }), { disabled: !launchable })}
    </div>
  );
}
