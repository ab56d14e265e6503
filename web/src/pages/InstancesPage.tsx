// Instances: list (server-side pages), create from my own or a shared image, terminate.
import { useState } from 'react';
import { MessagePlugin, Select, Table, Tag, type PrimaryTableCol } from 'tdesign-react';
import { Button } from '../components/Button';
import { AddIcon, RefreshIcon } from 'tdesign-icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { errorMessage } from '../api/errors';
import { keys, useInstances, useRegions } from '../api/queries';
import type { InstanceView } from '../api/types';
import { useRouter } from '../app/router';
import { CopyableId } from '../components/CopyableId';
import { formatTime } from '../components/format';
import { Modal } from '../components/Modal';
import { Pager, PAGE_SIZES } from '../components/Pager';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
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
  const client = useQueryClient();
  const terminate = useMutation({
    mutationFn: (instance: InstanceView) => api('DELETE', `/instances/${encodeURIComponent(instance.id)}`),
    onSuccess: (_d, instance) => {
      void MessagePlugin.success(t('instances.terminated', { name: instance.name }));
      setTerminating(null);
      void client.invalidateQueries({ queryKey: keys.instances });
      void client.invalidateQueries({ queryKey: keys.images });
      void client.invalidateQueries({ queryKey: keys.history });
    },
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
      cell: ({ row }) => formatTime(row.createdAt, locale),
    },
    {
      colKey: 'actions',
      title: t('common.actions'),
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
        {instances.isError ? (
          <ErrorState error={instances.error} onRetry={() => void instances.refetch()} />
        ) : instances.isPending ? (
          <LoadingState />
        ) : (
          <>
            <Table
              rowKey="id"
              data={instances.data.items}
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
              page={instances.data.page}
              pageSize={instances.data.pageSize}
              total={instances.data.total}
              onChange={(p, size) => setParams({ page: String(p), pageSize: String(size) })}
            />
          </>
        )}
      </section>
      {launching ? <LaunchDialog region={region} onClose={() => setLaunching(false)} /> : null}
      {terminating ? (
        <Modal
          visible
          title={t('instances.terminateTitle', { name: terminating.name })}
          onClose={() => setTerminating(null)}
          footer={
            <>
              <Button variant="outline" onClick={() => setTerminating(null)}>
                {t('common.cancel')}
              </Button>
              <Button
                theme="danger"
                loading={terminate.isPending}
                onClick={() => terminate.mutate(terminating)}
                data-autofocus
              >
                {t('instances.terminate')}
              </Button>
            </>
          }
        >
          <p>{t('instances.terminateConfirm', { name: terminating.name, id: terminating.id })}</p>
          {terminate.isError ? (
            <div role="alert" className="form-error">
              {errorMessage(t, terminate.error)}
            </div>
          ) : null}
        </Modal>
      ) : null}
    </div>
  );
}
