// History: every share, cancel, accept / reject, delete and launch that touched my images or images shared with
// me, newest first, who did it and through which way in.
import { Table, Tag, type PrimaryTableCol } from 'tdesign-react';
import { Button } from '../components/Button';
import { RefreshIcon } from 'tdesign-icons-react';
import { useHistory } from '../api/queries';
import type { HistoryAction, HistoryEntry, Surface } from '../api/types';
import { useRouter } from '../app/router';
import { useSession } from '../app/session';
import { TimeText } from '../components/TimeText';
import { Pager, PAGE_SIZES } from '../components/Pager';
import { EmptyState, QueryState } from '../components/States';
import { useI18n, type MessageKey } from '../i18n';

const ACTION_TEXT: Record<HistoryAction, MessageKey> = {
  share: 'history.action.share',
  cancel: 'history.action.cancel',
  accept: 'history.action.accept',
  reject: 'history.action.reject',
  leave: 'history.action.leave',
  delete: 'history.action.delete',
  launch: 'history.action.launch',
  create: 'history.action.create',
  upload: 'history.action.upload',
  copy: 'history.action.copy',
  rename: 'history.action.rename',
  terms: 'history.action.terms',
  consent: 'history.action.consent',
  deprecate: 'history.action.deprecate',
  undeprecate: 'history.action.undeprecate',
  disable: 'history.action.disable',
  enable: 'history.action.enable',
  protect: 'history.action.protect',
  unprotect: 'history.action.unprotect',
  restore: 'history.action.restore',
  purge: 'history.action.purge',
  expire: 'history.action.expire',
};

const SURFACE_TEXT: Record<Surface, MessageKey> = {
  openstack: 'history.surface.openstack',
  tencent: 'history.surface.tencent',
  'tencent-legacy': 'history.surface.tencentLegacy',
  console: 'history.surface.console',
  service: 'history.surface.service',
};

export default function HistoryPage() {
  const { t, locale } = useI18n();
  const { account } = useSession();
  const { params, setParams } = useRouter();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const sizeParam = Number(params.get('pageSize'));
  const pageSize = PAGE_SIZES.includes(sizeParam) ? sizeParam : 20;
  const history = useHistory({ page, pageSize });
  const who = (id: string | null) => (id === null ? '—' : id === account.id ? t('history.you', { id }) : id);

  const columns: PrimaryTableCol<HistoryEntry>[] = [
    {
      colKey: 'at',
      title: t('history.col.at'),
      width: 160,
      cell: ({ row }) => <TimeText iso={row.at} locale={locale} />,
    },
    {
      colKey: 'action',
      title: t('history.col.action'),
      width: 130,
      cell: ({ row }) => (
        <Tag variant="outline">{ACTION_TEXT[row.action] ? t(ACTION_TEXT[row.action]) : row.action}</Tag>
      ),
    },
    {
      colKey: 'image',
      title: t('history.col.image'),
      width: 220,
      cell: ({ row }) => (
        <div className="name-cell">
          <span>{row.imageName ?? '—'}</span>
          <code className="id small">{row.imageId}</code>
        </div>
      ),
    },
    { colKey: 'actor', title: t('history.col.actor'), width: 170, cell: ({ row }) => who(row.actorId) },
    {
      colKey: 'target',
      title: t('history.col.target'),
      width: 170,
      cell: ({ row }) => who(row.targetAccountId),
    },
    { colKey: 'owner', title: t('history.col.owner'), width: 170, cell: ({ row }) => who(row.ownerId) },
    {
      colKey: 'surface',
      title: t('history.col.surface'),
      width: 140,
      cell: ({ row }) => (SURFACE_TEXT[row.surface] ? t(SURFACE_TEXT[row.surface]) : row.surface),
    },
  ];

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('history.title')}</h1>
        <div className="page-header-tools">
          <Button variant="outline" icon={<RefreshIcon />} onClick={() => void history.refetch()}>
            {t('common.refresh')}
          </Button>
        </div>
      </div>
      <section className="panel">
        <p className="muted panel-intro">{t('history.intro')}</p>
        <QueryState query={history}>
          {(data) => (
            <>
              <Table
                rowKey="id"
                data={data.items}
                columns={columns}
                tableLayout="auto"
                empty={<EmptyState title={t('history.empty')} />}
              />
              <Pager
                page={data.page}
                pageSize={data.pageSize}
                total={data.total}
                onChange={(p, size) => setParams({ page: String(p), pageSize: String(size) })}
              />
            </>
          )}
        </QueryState>
      </section>
    </div>
  );
}
