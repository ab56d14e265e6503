// Copy to region, rename / edit description, delete (refused while shared: the owner is sent to the sharing
// panel), and leave a share (receiver).
import { useState } from 'react';
import { Alert, Input, MessagePlugin, Select, Textarea } from 'tdesign-react';
import { Button } from '../../components/Button';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/errors';
import { keys, useRegions } from '../../api/queries';
import type { ImageView } from '../../api/types';
import { Field } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { useI18n } from '../../i18n';

function useImageMutation<T>(
  fn: (input: T) => Promise<unknown>,
  onDone: () => void,
  successKey: Parameters<ReturnType<typeof useI18n>['t']>[0],
) {
  const { t } = useI18n();
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void MessagePlugin.success(t(successKey));
      void client.invalidateQueries({ queryKey: keys.images });
      void client.invalidateQueries({ queryKey: keys.history });
      onDone();
    },
  });
}

export function CopyDialog({ image, onClose }: { image: ImageView; onClose(): void }) {
  const { t } = useI18n();
  const regions = useRegions();
  const others = (regions.data?.regions ?? []).filter((r) => r.id !== image.region);
  const [target, setTarget] = useState('');
  const [name, setName] = useState(image.name);
  const copy = useImageMutation(
    () =>
      api('POST', `/images/${encodeURIComponent(image.id)}/copy`, { body: { targetRegion: target, name } }),
    onClose,
    'copy.done',
  );
  return (
    <Modal
      visible
      title={t('copy.title', { name: image.name })}
      onClose={onClose}
      footer={
        <>
          <Button variant="outline" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button
            theme="primary"
            disabled={!target || !name.trim()}
            loading={copy.isPending}
            onClick={() => copy.mutate(undefined)}
          >
            {t('copy.submit')}
          </Button>
        </>
      }
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
      {copy.isError ? (
        <div role="alert" className="form-error">
          {errorMessage(t, copy.error)}
        </div>
      ) : null}
    </Modal>
  );
}

export function EditDialog({ image, onClose }: { image: ImageView; onClose(): void }) {
  const { t } = useI18n();
  const [name, setName] = useState(image.name);
  const [description, setDescription] = useState(image.description ?? '');
  const edit = useImageMutation(
    () =>
      api('PATCH', `/images/${encodeURIComponent(image.id)}`, { body: { name: name.trim(), description } }),
    onClose,
    'edit.done',
  );
  return (
    <Modal
      visible
      title={t('edit.title')}
      onClose={onClose}
      footer={
        <>
          <Button variant="outline" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button
            theme="primary"
            disabled={!name.trim()}
            loading={edit.isPending}
            onClick={() => edit.mutate(undefined)}
          >
            {t('common.save')}
          </Button>
        </>
      }
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
      {edit.isError ? (
        <div role="alert" className="form-error">
          {errorMessage(t, edit.error)}
        </div>
      ) : null}
    </Modal>
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
  const remove = useImageMutation(
    () => api('DELETE', `/images/${encodeURIComponent(image.id)}`),
    onClose,
    'delete.done',
  );
  const refusedForShares = remove.error instanceof ApiError && remove.error.code === 'ImageInShared';
  const shareCount = refusedForShares
    ? Number(remove.error instanceof ApiError ? remove.error.details.shareCount : 0) || image.shareCount || 0
    : (image.shareCount ?? 0);
  const stillShared = shareCount > 0 || refusedForShares;
  return (
    <Modal
      visible
      title={t('delete.title', { name: image.name })}
      onClose={onClose}
      footer={
        stillShared ? (
          <>
            <Button variant="outline" onClick={onClose}>
              {t('common.close')}
            </Button>
            <Button theme="primary" onClick={onOpenPanel}>
              {t('delete.openSharing')}
            </Button>
          </>
        ) : (
          <>
            <Button variant="outline" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button
              theme="danger"
              loading={remove.isPending}
              onClick={() => remove.mutate(undefined)}
              data-autofocus
            >
              {t('delete.submit')}
            </Button>
          </>
        )
      }
    >
      {stillShared ? (
        <Alert theme="warning" message={t('delete.stillShared', { count: shareCount })} />
      ) : (
        <p>{t('delete.confirm', { name: image.name, id: image.id })}</p>
      )}
      {remove.isError && !refusedForShares ? (
        <div role="alert" className="form-error">
          {errorMessage(t, remove.error)}
        </div>
      ) : null}
    </Modal>
  );
}

export function LeaveDialog({ image, onClose }: { image: ImageView; onClose(): void }) {
  const { t } = useI18n();
  const leave = useImageMutation(
    () => api('DELETE', `/shared/${encodeURIComponent(image.id)}`),
    onClose,
    'leave.done',
  );
  return (
    <Modal
      visible
      title={t('leave.title', { name: image.name })}
      onClose={onClose}
      footer={
        <>
          <Button variant="outline" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button
            theme="danger"
            loading={leave.isPending}
            onClick={() => leave.mutate(undefined)}
            data-autofocus
          >
            {t('leave.submit')}
          </Button>
        </>
      }
    >
      <p>{t('leave.confirm', { owner: image.ownerId })}</p>
      {leave.isError ? (
        <div role="alert" className="form-error">
          {errorMessage(t, leave.error)}
        </div>
      ) : null}
    </Modal>
  );
}
