// The image's sharing panel: every account it is shared with, the share's status, when it was shared and when
// it ends, whether the account may copy the image, its live usage (instances launched, running now, the last
// launch); whether receivers must accept before launching; cancel sharing per account or for all.
import { useState } from 'react';
import { Alert, Table, type PrimaryTableCol } from 'tdesign-react';
import { Button } from '../../components/Button';
import { ShareIcon } from 'tdesign-icons-react';
import { api, ApiError } from '../../api/client';
import { keys, useShares } from '../../api/queries';
import type { ImageView, Share } from '../../api/types';
import { useChange } from '../../app/useChange';
import { CopyableId } from '../../components/CopyableId';
import { TimeText } from '../../components/TimeText';
import { formatTime } from '../../components/format';
import { ActionDialog } from '../../components/ActionDialog';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { ShareStatusTag } from '../../components/Tags';
import { useI18n } from '../../i18n';

/** The service's refusal to a receiver of the share: only the owner sees the image's shares. */
function receiverRefused(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'NotImageOwner' && error.details.relation === 'member';
}

export function SharingPanel({
  image,
  onClose,
  onShare,
}: {
  image: ImageView;
  onClose(): void;
  onShare(): void;
}) {
  const { t, locale } = useI18n();
  const shares = useShares(image.id);
  const [confirmAll, setConfirmAll] = useState(false);

  // null cancels the sharing with every account.
  const cancel = useChange({
    run: (accountId: string | null) =>
      api(
        'DELETE',
        accountId === null
          ? `/images/${encodeURIComponent(image.id)}/shares`
          : `/images/${encodeURIComponent(image.id)}/shares/${encodeURIComponent(accountId)}`,
      ),
    touches: [keys.images, keys.history],
    doneMessage: (_data, accountId) =>
      accountId === null ? t('sharing.cancelledAll') : t('sharing.cancelled', { id: accountId }),
    onDone: () => setConfirmAll(false),
    reportErrors: true,
  });

  // What the owner last asked for, held from the click until the service's answer is fetched again: the mutation's
  // own pending state arrives a render later, and a controlled box without this snaps back for that moment.
  const [consentAsked, setConsentAsked] = useState<'launch' | 'listing' | null>(null);
  const consent = useChange({
    run: (value: 'launch' | 'listing') =>
      api('PUT', `/images/${encodeURIComponent(image.id)}/consent`, { body: { consent: value } }),
    touches: [keys.shares(image.id)],
    doneMessage: () => t('sharing.consentSaved'),
    reportErrors: true,
  });
  const askConsent = (value: 'launch' | 'listing') => {
    setConsentAsked(value);
    consent.mutate(value, {
      // After a failure the box shows again what the service holds; after success, until the refetch lands.
      onError: () => setConsentAsked(null),
      onSuccess: () => void shares.refetch().finally(() => setConsentAsked(null)),
    });
  };

  const columns: PrimaryTableCol<Share>[] = [
    {
      colKey: 'accountId',
      title: t('sharing.col.account'),
      width: 190,
      cell: ({ row }) => <CopyableId id={row.accountId} label={t('common.copyId', { id: row.accountId })} />,
    },
    {
      colKey: 'status',
      title: t('sharing.col.status'),
      width: 100,
      cell: ({ row }) => <ShareStatusTag status={row.status} />,
    },
    {
      colKey: 'createdAt',
      title: t('sharing.col.since'),
      width: 150,
      cell: ({ row }) => <TimeText iso={row.createdAt} locale={locale} />,
    },
    {
      colKey: 'expiresAt',
      title: t('sharing.col.ends'),
      width: 150,
      cell: ({ row }) =>
        row.expiresAt === null
          ? t('sharing.never')
          : row.live
            ? formatTime(row.expiresAt, locale)
            : t('sharing.ended', { time: formatTime(row.expiresAt, locale) }),
    },
    {
      colKey: 'access',
      title: t('sharing.col.access'),
      width: 90,
      cell: ({ row }) =>
        row.access === 'launch_and_copy' ? t('sharing.copyAllowed') : t('sharing.copyNotAllowed'),
    },
    {
      colKey: 'launches',
      title: t('sharing.col.launches'),
      width: 130,
      cell: ({ row }) => t('sharing.launches', { launches: row.launches, running: row.runningInstances }),
    },
    {
      colKey: 'lastLaunchAt',
      title: t('sharing.col.lastLaunch'),
      width: 150,
      cell: ({ row }) => (row.lastLaunchAt ? formatTime(row.lastLaunchAt, locale) : '—'),
    },
    {
      colKey: 'actions',
      title: t('common.actions'),
      // On a phone the table scrolls sideways inside its box; the actions stay in view at its right edge.
      fixed: 'right',
      width: 130,
      cell: ({ row }) => (
        <Button
          variant="text"
          theme="danger"
          size="small"
          aria-label={t('sharing.cancelFor', { id: row.accountId })}
          disabled={cancel.isPending}
          onClick={() => cancel.mutate(row.accountId)}
        >
          {t('sharing.cancel')}
        </Button>
      ),
    },
  ];

  const data = shares.data;
  return (
    <ActionDialog
      // Eight columns (the share's terms and its live usage beside the account) need about 1000px of table; the
      // dialog stays inside a 1280px screen, and on a phone (94vw) the table scrolls inside its own box.
      width={1040}
      title={t('sharing.title', { name: image.name })}
      onClose={onClose}
      extra={
        data && data.shares.length > 0 ? (
          confirmAll ? (
            <span className="confirm-inline" role="group" aria-label={t('sharing.cancelAll')}>
              <span>{t('sharing.confirmAll', { count: data.shares.length })}</span>
              <Button variant="outline" onClick={() => setConfirmAll(false)}>
                {t('common.no')}
              </Button>
              <Button theme="danger" loading={cancel.isPending} onClick={() => cancel.mutate(null)}>
                {t('sharing.cancelAllYes')}
              </Button>
            </span>
          ) : (
            <Button theme="danger" variant="outline" onClick={() => setConfirmAll(true)}>
              {t('sharing.cancelAll')}
            </Button>
          )
        ) : null
      }
      dismiss={{
        label: t('action.share'),
        icon: <ShareIcon />,
        onClick: onShare,
        disabled: image.status !== 'active',
      }}
      action={{ label: t('common.close'), onClick: onClose, autoFocus: true }}
    >
      {image.disabled ? <Alert theme="warning" message={t('lifecycle.disabledOn')} /> : null}
      <div className="sharing-summary">
        <CopyableId id={image.id} label={t('images.copyImageId', { name: image.name })} />
        {data ? (
          <span className="places">
            {t('share.placesLeft', { left: Math.max(0, data.limit - data.used), limit: data.limit })}
          </span>
        ) : null}
        {data ? (
          <label className="checkbox-field">
            <input
              type="checkbox"
              // While the change is on its way the box shows what was asked for, then what the service holds.
              checked={(consentAsked ?? data.consent) === 'launch'}
              disabled={consentAsked !== null}
              onChange={(e) => askConsent(e.target.checked ? 'launch' : 'listing')}
            />
            <span>{t('sharing.consent')}</span>
          </label>
        ) : null}
      </div>
      {shares.isPending ? <LoadingState /> : null}
      {shares.isError && receiverRefused(shares.error) ? (
        // A receiver (the panel opened from a link) is told what it can do, not only what it cannot.
        <EmptyState title={t('sharing.receiverView', { owner: image.ownerId })} />
      ) : shares.isError ? (
        <ErrorState error={shares.error} onRetry={() => void shares.refetch()} />
      ) : null}
      {data ? (
        <Table
          rowKey="accountId"
          data={data.shares}
          columns={columns}
          tableLayout="auto"
          empty={<EmptyState title={t('sharing.empty')} />}
        />
      ) : null}
      {data && data.groups.length > 0 ? (
        <ul className="entry-list" aria-label={t('share.groups')}>
          {data.groups.map((g) => (
            <li key={g.groupId} className={g.live ? 'entry ok' : 'entry bad'}>
              <code>{g.groupId}</code>
              <span>{t('sharing.groupRow', { name: g.groupName, count: g.size })}</span>
              {g.expiresAt ? <TimeText iso={g.expiresAt} locale={locale} /> : null}
              <Button
                variant="text"
                theme="danger"
                onClick={() => cancel.mutate(g.groupId)}
                loading={cancel.isPending && cancel.variables === g.groupId}
              >
                {t('sharing.cancel')}
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
    </ActionDialog>
  );
}
