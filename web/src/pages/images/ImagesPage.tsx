// Images: the region switcher and the three tabs of the seed's console (Custom / Shared / Public images),
// each a server-side paged, sorted and searchable table, and the owner's Recycle bin (issue 12).
import { useEffect, useState } from 'react';
import { Input, Select, Table, type PrimaryTableCol } from 'tdesign-react';
import { Button } from '../../components/Button';
import { RefreshIcon, SearchIcon, UploadIcon } from 'tdesign-icons-react';
import { useImages, useRegions } from '../../api/queries';
import type { ImageKind, ImageView, SortField, SortOrder } from '../../api/types';
import { CopyableId } from '../../components/CopyableId';
import { formatBytes, formatTime } from '../../components/format';
import { TimeText } from '../../components/TimeText';
import { Pager, PAGE_SIZES } from '../../components/Pager';
import { SortTitle } from '../../components/SortTitle';
import { EmptyState, ErrorState, QueryState } from '../../components/States';
import { TabBar } from '../../components/TabBar';
import { ImageStatusTag, LifecycleTags, ShareStatusTag } from '../../components/Tags';
import { useI18n } from '../../i18n';
import { useRouter } from '../../app/router';
import { ImageActions, type ImageDialog } from './ImageActions';
import { ImageDialogs } from './ImageDialogs';
import { RecycleBinTab } from './RecycleBinTab';

const KINDS: ImageKind[] = ['custom', 'shared', 'public'];
/** The tabs: the three lists of images, and the recycle bin of the caller's deleted ones. */
type ImageTab = ImageKind | 'bin';
const TABS: ImageTab[] = [...KINDS, 'bin'];
const SORTS: SortField[] = ['name', 'createdAt', 'size', 'status'];

function useImageParams(defaultRegion: string) {
  const { params, setParams } = useRouter();
  const tabParam = params.get('tab');
  const tab: ImageTab = (TABS as string[]).includes(tabParam ?? '') ? (tabParam as ImageTab) : 'custom';
  const kind: ImageKind = tab === 'bin' ? 'custom' : tab;
  const sortParam = params.get('sort');
  const sort: SortField = (SORTS as string[]).includes(sortParam ?? '')
    ? (sortParam as SortField)
    : 'createdAt';
  const order: SortOrder = params.get('order') === 'asc' ? 'asc' : 'desc';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const sizeParam = Number(params.get('pageSize'));
  const pageSize = PAGE_SIZES.includes(sizeParam) ? sizeParam : 20;
  return {
    tab,
    kind,
    region: params.get('region') || defaultRegion,
    search: params.get('q') ?? '',
    sort,
    order,
    page,
    pageSize,
    setParams,
  };
}

export default function ImagesPage() {
  const { t, locale } = useI18n();
  const regions = useRegions();
  const defaultRegion =
    regions.data?.regions.find((r) => r.isDefault)?.id ?? regions.data?.regions[0]?.id ?? '';
  const p = useImageParams(defaultRegion);
  const [searchText, setSearchText] = useState(p.search);
  const [dialog, setDialog] = useState<ImageDialog | null>(null);

  // Search as you type, once typing pauses.
  const { search: appliedSearch, setParams } = p;
  useEffect(() => {
    if (searchText.trim() === appliedSearch) return;
    const timer = window.setTimeout(() => setParams({ q: searchText.trim(), page: undefined }), 300);
    return () => window.clearTimeout(timer);
  }, [searchText, appliedSearch, setParams]);

  const images = useImages(
    {
      region: p.region,
      kind: p.kind,
      search: p.search,
      sort: p.sort,
      order: p.order,
      page: p.page,
      pageSize: p.pageSize,
    },
    p.region !== '' && p.tab !== 'bin',
  );

  const onSort = (sort: SortField, order: SortOrder) => p.setParams({ sort, order, page: undefined });
  const sortTitle = (field: SortField, label: string) => () => (
    <SortTitle field={field} label={label} sort={p.sort} order={p.order} onSort={onSort} />
  );

  const columns = (() => {
    const cols: PrimaryTableCol<ImageView>[] = [
      {
        // Name and ID in one column, as Tencent Cloud's console shows them: every column fits 1280 px then.
        colKey: 'name',
        title: sortTitle('name', t('images.col.nameId')),
        cell: ({ row }) => (
          <div className="name-cell">
            <span className="image-name">{row.name || t('images.unnamed')}</span>
            <CopyableId id={row.id} label={t('images.copyImageId', { name: row.name })} />
            {row.description ? <span className="muted small">{row.description}</span> : null}
            <LifecycleTags image={row} locale={locale} />
          </div>
        ),
      },
    ];
    if (p.kind === 'shared') {
      cols.push(
        {
          colKey: 'ownerId',
          title: t('images.col.owner'),
          cell: ({ row }) => (
            <CopyableId id={row.ownerId} label={t('images.copyOwnerId', { id: row.ownerId })} />
          ),
        },
        {
          colKey: 'shareStatus',
          title: t('images.col.shareStatus'),
          cell: ({ row }) => (
            <>
              <ShareStatusTag status={row.shareStatus} />
              {row.shareExpiresAt ? (
                <span className="share-ends">
                  {t('shared.endsAt', { time: formatTime(row.shareExpiresAt, locale) })}
                </span>
              ) : null}
            </>
          ),
        },
      );
    }
    cols.push(
      {
        colKey: 'status',
        title: sortTitle('status', t('images.col.status')),
        cell: ({ row }) => <ImageStatusTag status={row.status} />,
      },
      {
        colKey: 'size',
        title: sortTitle('size', t('images.col.size')),
        cell: ({ row }) => formatBytes(row.size),
      },
      {
        colKey: 'diskFormat',
        title: t('images.col.format'),
        cell: ({ row }) => row.diskFormat ?? '—',
      },
      {
        colKey: 'createdAt',
        title: sortTitle('createdAt', t('images.col.created')),
        cell: ({ row }) => <TimeText iso={row.createdAt} locale={locale} />,
      },
    );
    if (p.kind === 'custom') {
      cols.push({
        colKey: 'shareCount',
        title: t('images.col.sharedWith'),
        cell: ({ row }) =>
          row.shareCount ? (
            <Button variant="text" theme="primary" onClick={() => setDialog({ type: 'sharing', image: row })}>
              {t('images.accounts', { count: row.shareCount })}
            </Button>
          ) : (
            <span className="muted">{t('images.notShared')}</span>
          ),
      });
    }
    cols.push({
      colKey: 'actions',
      title: t('common.actions'),
      // On a phone the table scrolls sideways inside its box; the actions stay in view at its right edge.
      fixed: 'right',
      width: p.kind === 'custom' ? 230 : 200,
      cell: ({ row }) => <ImageActions image={row} kind={p.kind} onOpen={setDialog} />,
    });
    return cols;
  })();

  const regionOptions = (regions.data?.regions ?? []).map((r) => ({ value: r.id, label: r.id }));
  const tabs = TABS.map((tab) => ({ value: tab, label: t(`images.tab.${tab}`) }));

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('images.title')}</h1>
        <div className="page-header-tools">
          <label className="inline-field">
            <span>{t('common.region')}</span>
            <Select
              value={p.region}
              options={regionOptions}
              loading={regions.isPending}
              onChange={(value) => p.setParams({ region: value as string, page: undefined })}
              style={{ width: 170 }}
            />
          </label>
          {p.tab === 'custom' ? (
            <Button theme="primary" icon={<UploadIcon />} onClick={() => setDialog({ type: 'upload' })}>
              {t('images.upload')}
            </Button>
          ) : null}
        </div>
      </div>
      {regions.isError ? <ErrorState error={regions.error} onRetry={() => void regions.refetch()} /> : null}
      <TabBar
        idPrefix="images"
        label={t('images.title')}
        items={tabs}
        value={p.tab}
        onChange={(tab) => {
          setSearchText('');
          p.setParams({ tab, page: undefined, q: undefined });
        }}
      />
      <section id="images-panel" role="tabpanel" aria-labelledby={`images-tab-${p.tab}`} className="panel">
        <p className="muted panel-intro">{t(`images.intro.${p.tab}`)}</p>
        {p.tab === 'bin' ? (
          <RecycleBinTab
            region={p.region}
            page={p.page}
            pageSize={p.pageSize}
            onPage={(page, pageSize) => p.setParams({ page: String(page), pageSize: String(pageSize) })}
          />
        ) : (
          <>
            <div className="toolbar">
              <label className="search">
                <span className="sr-only">{t('images.search')}</span>
                <Input
                  value={searchText}
                  onChange={(v) => setSearchText(v)}
                  placeholder={t('images.search')}
                  prefixIcon={<SearchIcon />}
                  clearable
                />
              </label>
              <Button
                variant="outline"
                icon={<RefreshIcon />}
                aria-label={t('common.refresh')}
                onClick={() => void images.refetch()}
                loading={images.isFetching && !images.isPending}
              />
            </div>
            <QueryState query={images}>
              {(data) => (
                <>
                  <Table
                    rowKey="id"
                    data={data.items}
                    columns={columns}
                    tableLayout="auto"
                    hover
                    empty={
                      <EmptyState title={t(p.search ? 'images.noMatch' : `images.empty.${p.kind}`)}>
                        {p.kind === 'custom' && !p.search ? (
                          <Button
                            theme="primary"
                            variant="outline"
                            onClick={() => setDialog({ type: 'upload' })}
                          >
                            {t('images.upload')}
                          </Button>
                        ) : null}
                      </EmptyState>
                    }
                  />
                  <Pager
                    page={data.page}
                    pageSize={data.pageSize}
                    total={data.total}
                    onChange={(page, pageSize) =>
                      p.setParams({ page: String(page), pageSize: String(pageSize) })
                    }
                  />
                </>
              )}
            </QueryState>
          </>
        )}
      </section>
      <ImageDialogs dialog={dialog} region={p.region} onClose={() => setDialog(null)} onOpen={setDialog} />
    </div>
  );
}
