// Create an instance from one of my images, a shared image or a public image.
import { useState } from 'react';
import { Input, Select } from 'tdesign-react';
import { api } from '../api/client';
import { keys, useImages } from '../api/queries';
import type { ImageKind, ImageView, InstanceView } from '../api/types';
import { useChange } from '../app/useChange';
import { ActionDialog } from '../components/ActionDialog';
import { Field } from '../components/Field';
import { useI18n } from '../i18n';

function useLaunchableImages(region: string, kind: ImageKind, enabled: boolean) {
  return useImages(
    { region, kind, search: '', sort: 'name', order: 'asc', page: 1, pageSize: 100 },
    enabled && region !== '',
  );
}

export function LaunchDialog({
  region,
  image,
  onClose,
}: {
  region: string;
  image?: ImageView;
  onClose(): void;
}) {
  const { t } = useI18n();
  const [name, setName] = useState(image ? `${image.name}-1`.slice(0, 60) : '');
  const [imageId, setImageId] = useState(image?.id ?? '');
  const pick = !image;
  const custom = useLaunchableImages(region, 'custom', pick);
  const shared = useLaunchableImages(region, 'shared', pick);
  const publicImages = useLaunchableImages(region, 'public', pick);
  const usable = (list: ImageView[] | undefined) =>
    (list ?? [])
      .filter((i) => i.status === 'active' && i.shareStatus !== 'rejected')
      .map((i) => ({ value: i.id, label: `${i.name || i.id} (${i.id})` }));
  const groups = [
    { group: t('images.tab.custom'), children: usable(custom.data?.items) },
    { group: t('images.tab.shared'), children: usable(shared.data?.items) },
    { group: t('images.tab.public'), children: usable(publicImages.data?.items) },
  ].filter((g) => g.children.length > 0);

  const launch = useChange({
    run: () => api<InstanceView>('POST', '/instances', { body: { region, imageId, name: name.trim() } }),
    touches: [keys.instances, keys.images, keys.history],
    doneMessage: (instance) => t('launch.done', { name: instance.name }),
    onDone: onClose,
  });

  return (
    <ActionDialog
      title={image ? t('launch.titleFrom', { name: image.name }) : t('launch.title')}
      onClose={onClose}
      action={{
        label: t('launch.submit'),
        disabled: !imageId || !name.trim(),
        loading: launch.isPending,
        onClick: () => launch.mutate(),
      }}
      error={launch.error}
    >
      <p className="muted">{t('launch.region', { region })}</p>
      {pick ? (
        <Field label={t('launch.image')}>
          <Select
            value={imageId}
            onChange={(v) => setImageId(v as string)}
            options={groups}
            filterable
            loading={custom.isPending || shared.isPending || publicImages.isPending}
            placeholder={t('launch.imagePlaceholder')}
            empty={t('launch.noImages')}
          />
        </Field>
      ) : null}
      <Field label={t('launch.name')}>
        <Input value={name} onChange={(v) => setName(v)} maxlength={60} />
      </Field>
    </ActionDialog>
  );
}
