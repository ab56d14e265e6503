// Instances: list (server-side pages), create from my own or a shared image, terminate.
import { useState } from 'react';
import { Select, Table, Tag, type PrimaryTableCol } from 'tdesign-react';
import { Button } from '../components/Button';
import { AddIcon, RefreshIcon } from 'tdesign-icons-react';
import { api } from '../api/client';
import { keys, useInstances, useRegions } from '../api/queries';
import type { InstanceView } from '../api/types';
import { useRouter } from '../app/router';
import { useChange } from '../app/useChange';
import { ActionDialog } from '../components/ActionDialog';
import { CopyableId } from '../components/CopyableId';
import { formatTime } from '../components/format';
import { TimeText } from '../components/TimeText';
import { Pager, PAGE_SIZES } from '../components/Pager';
import { EmptyState, QueryState } from '../components/States';
import { useI18n } from '../i18n';
import { LaunchDialog } from './LaunchDialog';

export default function InstancesPage() {
  const { t, locale } = useI18n();
  const { params, setParams } = useRouter();
  const regions = useRegions();
  const defaultRegion =
    regions.data?.regions.find((r) => r.isDefault)?.id ?? regions.data?.regions[0]?.id ?? '';
  const region = params.get('region') || defaultRegion;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const sizeParam = Number(params.get('pageSize'));
  const pageSize = PAGE_SIZES.includes(sizeParam) ? sizeParam : 20;
  const instances = useInstances({ region: region || undefined, page, pageSize });
  const [launching, setLaunching] = useState(false);
  const [terminating, setTerminating] = useState<InstanceView | null>(null);
  const terminate = useChange({
    run: (instance: InstanceView) => api('DELETE', `/instances/${encodeURIComponent(instance.id)}`),
    touches: [keys.instances, keys.images, keys.history],
    doneMessage: (_d, instance) => t('instances.terminated', { name: instance.name }),
    onDone: () => setTerminating(null),
  });

  const columns: PrimaryTableCol<InstanceView>[] = [
    {
      colKey: 'name',
      title: t('instances.col.name'),
      width: 160,
      cell: ({ row }) => <span className="image-name">{row.name}</span>,
    },
    { colKey: 'id', title: t('instances.col.id'), width: 200, cell: ({ row }) => <CopyableId id={row.id} /> },
    {
      colKey: 'image',
      title: t('instances.col.image'),
      width: 220,
      cell: ({ row }) => (
        <div className="name-cell">
          <span>{row.imageName ?? t('instances.imageGone')}</span>
          <code className="id small">{row.imageId}</code>
        </div>
      ),
    },
    {
      colKey: 'state',
      title: t('instances.col.state'),
      width: 110,
      cell: ({ row }) => (
        <Tag theme={row.state === 'RUNNING' ? 'success' : 'default'} variant="light">
          {t(row.state === 'RUNNING' ? 'instances.running' : 'instances.terminatedState')}
        </Tag>
      ),
    },
    {
      colKey: 'createdAt',
      title: t('instances.col.created'),
      width: 160,
      cell: ({ row }) => <TimeText iso={row.createdAt} locale={locale} />,
    },
    {
      colKey: 'actions',
      title: t('common.actions'),
      // On a phone the table scrolls sideways inside its box; the actions stay in view at its right edge.
      fixed: 'right',
      width: 120,
      cell: ({ row }) =>
        row.state === 'RUNNING' ? (
          <Button
            variant="text"
            theme="danger"
            size="small"
            aria-label={`${t('instances.terminate')}: ${row.name}`}
            onClick={() => setTerminating(row)}
          >
            {t('instances.terminate')}
          </Button>
        ) : (
          <span className="muted">{formatTime(row.terminatedAt, locale)}</span>
        ),
    },
  ];

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('instances.title')}</h1>
        <div className="page-header-tools">
          <label className="inline-field">
            <span>{t('common.region')}</span>
            <Select
              value={region}
              options={(regions.data?.regions ?? []).map((r) => ({ value: r.id, label: r.id }))}
              onChange={(v) => setParams({ region: v as string, page: undefined })}
              style={{ width: 170 }}
            />
          </label>
          <Button theme="primary" icon={<AddIcon />} onClick={() => setLaunching(true)} disabled={!region}>
            {t('instances.create')}
          </Button>
          <Button
            variant="outline"
            icon={<RefreshIcon />}
            aria-label={t('common.refresh')}
            onClick={() => void instances.refetch()}
          />
        </div>
      </div>
      <section className="panel">
        <QueryState query={instances}>
          {(data) => (
            <>
              <Table
                rowKey="id"
                data={data.items}
                columns={columns}
                tableLayout="auto"
                empty={
                  <EmptyState title={t('instances.empty')}>
                    <Button theme="primary" variant="outline" onClick={() => setLaunching(true)}>
                      {t('instances.create')}
                    </Button>
                  </EmptyState>
                }
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
      {launching ? <LaunchDialog region={region} onClose={() => setLaunching(false)} /> : null}
      {terminating ? (
        <ActionDialog
          title={t('instances.terminateTitle', { name: terminating.name })}
          onClose={() => setTerminating(null)}
          action={{
            label: t('instances.terminate'),
            theme: 'danger',
            loading: terminate.isPending,
            autoFocus: true,
            onClick: () => terminate.mutate(terminating),
          }}
          error={terminate.error}
        >
          <p>{t('instances.terminateConfirm', { name: terminating.name, id: terminating.id })}</p>
        </ActionDialog>
      ) : null}
    </div>
  );
}
