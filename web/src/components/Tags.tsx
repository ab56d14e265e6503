import { Tag } from 'tdesign-react';
import type { ImageView, ShareStatus } from '../api/types';
import { formatTime } from './format';
import type { Locale } from '../i18n';
import { useI18n, type MessageKey } from '../i18n';

const IMAGE_STATUS: Record<string, { key: MessageKey; theme: 'success' | 'warning' | 'danger' | 'default' }> =
  {
    active: { key: 'status.active', theme: 'success' },
    queued: { key: 'status.queued', theme: 'default' },
    saving: { key: 'status.saving', theme: 'warning' },
    importing: { key: 'status.importing', theme: 'warning' },
    uploading: { key: 'status.uploading', theme: 'warning' },
    killed: { key: 'status.killed', theme: 'danger' },
    deleted: { key: 'status.deleted', theme: 'danger' },
    pending_delete: { key: 'status.deleted', theme: 'danger' },
    deactivated: { key: 'status.deactivated', theme: 'default' },
  };

export function ImageStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  const known = IMAGE_STATUS[status.toLowerCase()];
  return (
    <Tag theme={known?.theme ?? 'default'} variant="light">
      {known ? t(known.key) : status}
    </Tag>
  );
}

const SHARE_STATUS: Record<ShareStatus, { key: MessageKey; theme: 'success' | 'warning' | 'danger' }> = {
  pending: { key: 'share.status.pending', theme: 'warning' },
  accepted: { key: 'share.status.accepted', theme: 'success' },
  rejected: { key: 'share.status.rejected', theme: 'danger' },
};

export function ShareStatusTag({ status }: { status: ShareStatus | null }) {
  const { t } = useI18n();
  if (!status) return <span>—</span>;
  const known = SHARE_STATUS[status];
  return (
    <Tag theme={known.theme} variant="light">
      {t(known.key)}
    </Tag>
  );
}

/**
 * Where an image stands in its lifecycle: deprecated (with the image to use instead and the date new launches
 * stop), disabled, deletion-protected. Receivers see the deprecation only; the rest is the owner's.
 */
export function LifecycleTags({
  image,
  locale,
}: {
  image: Pick<ImageView, 'deprecatedAt' | 'replacementImageId' | 'obsoleteAt' | 'disabled' | 'protected'>;
  locale: Locale;
}) {
  const { t } = useI18n();
  if (!image.deprecatedAt && !image.disabled && !image.protected) return null;
  return (
    <span className="lifecycle-tags">
      {image.deprecatedAt ? (
        <Tag theme="warning" variant="light">
          {t('lifecycle.deprecated')}
        </Tag>
      ) : null}
      {image.disabled ? (
        <Tag theme="danger" variant="light">
          {t('lifecycle.disabled')}
        </Tag>
      ) : null}
      {image.protected ? (
        <Tag theme="primary" variant="light">
          {t('lifecycle.protected')}
        </Tag>
      ) : null}
      {image.deprecatedAt && image.replacementImageId ? (
        <span className="small">{t('lifecycle.useInstead', { id: image.replacementImageId })}</span>
      ) : null}
      {image.deprecatedAt && image.obsoleteAt ? (
        <span className="small muted">
          {t('lifecycle.obsoleteAt', { time: formatTime(image.obsoleteAt, locale) })}
        </span>
      ) : null}
    </span>
  );
}
