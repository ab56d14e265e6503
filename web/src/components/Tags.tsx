import { Tag } from 'tdesign-react';
import type { ShareStatus } from '../api/types';
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
