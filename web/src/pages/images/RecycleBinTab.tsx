// The Recycle bin tab (issue 12): the caller's deleted images in a region, with when each was deleted and
// when it goes for good; each can be restored (with its shares) until then.
import { Table, type PrimaryTableCol } from 'tdesign-react';
import { api } from '../../api/client';
import { keys, useRecycleBin } from '../../api/queries';
import type { ImageView } from '../../api/types';
import { useChange } from '../../app/useChange';
import { Button } from '../../components/Button';
import { CopyableId } from '../../components/CopyableId';
import { formatBytes } from '../../components/format';
import { Pager } from '../../components/Pager';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n';

function RestoreButton({ image, region }: { image: ImageView; region: string }) {
  const { t } = useI18n();
  const restore = useChange({
    run: () =>
      api<ImageView>(
        'POST',
        `/recycle-bin/${encodeURIComponent(image.id)}/restore?region=${encodeURIComponent(region)}`,
      ),
    touches: [keys.images, keys.history],
    doneMessage: () => t('restore.done'),
    reportErrors: true,
  });
  return (
    <Button
      variant="text"
      theme="primary"
      size="small"
      disabled={restore.isPending}
      aria-label={`${t('action.restore')}: ${image.name || image.id}`}
      onClick={() => restore.mutate()}
    >
      {t('action.restore')}
    </Button>
  );
}

export function RecycleBinTab({
  region,
  page,
  pageSize,
  onPage,
}: {
  region: string;
  page: number;
  pageSize: number;
  onPage(page: number, pageSize: number): void;
}) {
  const { t, locale } = useI18n();
  const bin = useRecycleBin({ region, page, pageSize }, region !== '');
  const columns: PrimaryTableCol<ImageView>[] = [
    {
      colKey: 'name',
      title: t('images.col.nameId'),
      cell: ({ row }) => (
        <div className="name-cell">
          <span className="image-name">{row.name || t('images.unnamed')}</span>
          <CopyableId id={row.id} label={t('images.copyImageId', { name: row.name })} />
        </div>
      ),
    },
    { colKey: 'size', title: t('images.col.size'), cell: ({ row }) => formatBytes(row.size) },
    {
      colKey: 'deletedAt',
      title: t('images.col.deletedAt'),
      cell: ({ row }) => <TimeText iso={row.deletedAt} locale={locale} />,
    },
    {
      colKey: 'purgeAfter',
      title: t('images.col.purgeAfter'),
      cell: ({ row }) => <TimeText iso={row.purgeAfter} locale={locale} />,
    },
    {
      colKey: 'actions',
      title: t('common.actions'),
      fixed: 'right',
      width: 120,
      cell: ({ row }) => <RestoreButton image={row} region={region} />,
    },
  ];
  if (bin.isError) return <ErrorState error={bin.error} onRetry={() => void bin.refetch()} />;
  if (bin.isPending) return <LoadingState />;
  return (
    <>
      <Table
        rowKey="id"
        data={bin.data.items}
        columns={columns}
        tableLayout="auto"
        hover
        empty={<EmptyState title={t('images.empty.bin')} />}
      />
      <Pager page={bin.data.page} pageSize={bin.data.pageSize} total={bin.data.total} onChange={onPage} />
    </>
  );
}
