// Create an instance from one of my images, a shared image or a public image.
import { useState } from 'react';
import { Input, MessagePlugin, Select } from 'tdesign-react';
import { Button } from '../components/Button';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { errorMessage } from '../api/errors';
import { keys, useImages } from '../api/queries';
import type { ImageKind, ImageView, InstanceView } from '../api/types';
import { Field } from '../components/Field';
import { Modal } from '../components/Modal';
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
  const client = useQueryClient();
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

  const launch = useMutation({
    mutationFn: () =>
      api<InstanceView>('POST', '/instances', { body: { region, imageId, name: name.trim() } }),
    onSuccess: (instance) => {
      void MessagePlugin.success(t('launch.done', { name: instance.name }));
      void client.invalidateQueries({ queryKey: keys.instances });
      void client.invalidateQueries({ queryKey: keys.images });
      void client.invalidateQueries({ queryKey: keys.history });
      onClose();
    },
  });

  return (
    <Modal
      visible
      title={image ? t('launch.titleFrom', { name: image.name }) : t('launch.title')}
      onClose={onClose}
      footer={
        <>
          <Button variant="outline" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button
            theme="primary"
            disabled={!imageId || !name.trim()}
            loading={launch.isPending}
            onClick={() => launch.mutate()}
          >
            {t('launch.submit')}
          </Button>
        </>
      }
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
      {launch.isError ? (
        <div role="alert" className="form-error">
          {errorMessage(t, launch.error)}
        </div>
      ) : null}
    </Modal>
  );
}
