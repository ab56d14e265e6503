// Copy to region, rename / edit description, delete (refused while shared: the owner is sent to the sharing
// panel), and leave a share (receiver).
import { useState } from 'react';
import { Alert, Input, Select, Textarea } from 'tdesign-react';
import { api, ApiError } from '../../api/client';
import { keys, useRegions } from '../../api/queries';
import type { ImageView } from '../../api/types';
import { useChange } from '../../app/useChange';
import { ActionDialog } from '../../components/ActionDialog';
import { Field } from '../../components/Field';
import { useI18n, type MessageKey } from '../../i18n';

/** A change to one image: images and history are fetched again, the dialog closes with a message. */
function useImageChange(run: () => Promise<unknown>, onClose: () => void, doneKey: MessageKey) {
  const { t } = useI18n();
  return useChange({
    run,
    touches: [keys.images, keys.history],
    doneMessage: () => t(doneKey),
    onDone: onClose,
  });
}

const imagePath = (image: ImageView) => `/images/${encodeURIComponent(image.id)}`;

export function CopyDialog({ image, onClose }: { image: ImageView; onClose(): void }) {
  const { t } = useI18n();
  const regions = useRegions();
  const others = (regions.data?.regions ?? []).filter((r) => r.id !== image.region);
  const [target, setTarget] = useState('');
  const [name, setName] = useState(image.name);
  const copy = useImageChange(
    () => api('POST', `${imagePath(image)}/copy`, { body: { targetRegion: target, name } }),
    onClose,
    'copy.done',
  );
  return (
    <ActionDialog
      title={t('copy.title', { name: image.name })}
      onClose={onClose}
      action={{
        label: t('copy.submit'),
        disabled: !target || !name.trim(),
        loading: copy.isPending,
        onClick: () => copy.mutate(),
      }}
      error={copy.error}
    >
      <p className="muted">{t('copy.explain', { region: image.region })}</p>
      {others.length === 0 && !regions.isPending ? (
        <Alert theme="info" message={t('copy.noOtherRegion')} />
      ) : null}
      <Field label={t('copy.target')}>
        <Select
          value={target}
          onChange={(v) => setTarget(v as string)}
          options={others.map((r) => ({ value: r.id, label: r.id }))}
          placeholder={t('copy.targetPlaceholder')}
        />
      </Field>
      <Field label={t('images.col.name')}>
        <Input value={name} onChange={(v) => setName(v)} maxlength={255} />
      </Field>
    </ActionDialog>
  );
}

export function EditDialog({ image, onClose }: { image: ImageView; onClose(): void }) {
  const { t } = useI18n();
  const [name, setName] = useState(image.name);
  const [description, setDescription] = useState(image.description ?? '');
  const edit = useImageChange(
    () => api('PATCH', imagePath(image), { body: { name: name.trim(), description } }),
    onClose,
    'edit.done',
  );
  return (
    <ActionDialog
      title={t('edit.title')}
      onClose={onClose}
      action={{
        label: t('common.save'),
        disabled: !name.trim(),
        loading: edit.isPending,
        onClick: () => edit.mutate(),
      }}
      error={edit.error}
    >
      <Field label={t('images.col.name')}>
        <Input value={name} onChange={(v) => setName(v)} maxlength={255} />
      </Field>
      <Field label={t('edit.description')}>
        <Textarea
          value={description}
          onChange={(v) => setDescription(v)}
          maxlength={1024}
          autosize={{ minRows: 3 }}
        />
      </Field>
    </ActionDialog>
  );
}

export function DeleteDialog({
  image,
  onClose,
  onOpenPanel,
}: {
  image: ImageView;
  onClose(): void;
  onOpenPanel(): void;
}) {
  const { t } = useI18n();
  const binDays = useRegions().data?.recycleBinDays ?? 0;
  const remove = useImageChange(() => api('DELETE', imagePath(image)), onClose, 'delete.done');
  const refused =
    remove.error instanceof ApiError && remove.error.code === 'ImageInShared' ? remove.error : null;
  const shareCount = refused
    ? Number(refused.details.shareCount) || image.shareCount || 0
    : (image.shareCount ?? 0);
  // Still shared (known from the list, or learnt from the refusal): the way on is the sharing panel.
  const stillShared = shareCount > 0 || refused !== null;
  return (
    <ActionDialog
      title={t('delete.title', { name: image.name })}
      onClose={onClose}
      dismiss={stillShared ? { label: t('common.close'), onClick: onClose } : undefined}
      action={
        stillShared
          ? { label: t('delete.openSharing'), onClick: onOpenPanel }
          : {
              label: t('delete.submit'),
              theme: 'danger',
              loading: remove.isPending,
              autoFocus: true,
              onClick: () => remove.mutate(),
            }
      }
      error={refused ? null : remove.error}
    >
      {stillShared ? (
        <Alert theme="warning" message={t('delete.stillShared', { count: shareCount })} />
      ) : (
        <p>
          {binDays > 0
            ? t('delete.confirmBin', { name: image.name, id: image.id, days: binDays })
            : t('delete.confirm', { name: image.name, id: image.id })}
        </p>
      )}
    </ActionDialog>
  );
}

export function LeaveDialog({ image, onClose }: { image: ImageView; onClose(): void }) {
  const { t } = useI18n();
  const leave = useImageChange(
    () => api('DELETE', `/shared/${encodeURIComponent(image.id)}`),
    onClose,
    'leave.done',
  );
  return (
    <ActionDialog
      title={t('leave.title', { name: image.name })}
      onClose={onClose}
      action={{
        label: t('leave.submit'),
        theme: 'danger',
        loading: leave.isPending,
        autoFocus: true,
        onClick: () => leave.mutate(),
      }}
      error={leave.error}
    >
      <p>{t('leave.confirm', { owner: image.ownerId })}</p>
    </ActionDialog>
  );
}
