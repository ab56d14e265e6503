// Inbox: what happened to my shared images and to images shared with me (shared, cancelled, expiring soon,
// deprecated, deleted, launched), newest first, with read marks; and my webhooks, which receive the same
// events signed (docs/api/notifications.md). The header's badge counts the unread entries.
import { useState } from 'react';
import { Alert, Input, Table, Tag, type PrimaryTableCol } from 'tdesign-react';
import { AddIcon, RefreshIcon } from 'tdesign-icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../api/client';
import { errorMessage } from '../api/errors';
import {
  notificationKeys,
  useInbox,
  useWebhooks,
  type EventType,
  type InboxEntry,
  type NewWebhook,
  type Webhook,
} from '../api/notifications';
import { useSession } from '../app/session';
import { useChange } from '../app/useChange';
import { ActionDialog } from '../components/ActionDialog';
import { Button } from '../components/Button';
import { CopyableId } from '../components/CopyableId';
import { Field } from '../components/Field';
import { formatTime } from '../components/format';
import { EmptyState, QueryState } from '../components/States';
import { TabBar } from '../components/TabBar';
import { TimeText } from '../components/TimeText';
import { useI18n, type Locale, type MessageKey, type Translate } from '../i18n';

const PAGE_SIZE = 20;

const TYPE_TEXT: Record<EventType, MessageKey> = {
  'share.created': 'inbox.type.shareCreated',
  'share.cancelled': 'inbox.type.shareCancelled',
  'share.expiring': 'inbox.type.shareExpiring',
  'image.deleted': 'inbox.type.imageDeleted',
  'image.launched': 'inbox.type.imageLaunched',
  'image.deprecated': 'inbox.type.imageDeprecated',
};

const SENTENCE: Record<EventType, MessageKey> = {
  'share.created': 'inbox.text.shareCreated',
  'share.cancelled': 'inbox.text.shareCancelled',
  'share.expiring': 'inbox.text.shareExpiring',
  'image.deleted': 'inbox.text.imageDeleted',
  'image.launched': 'inbox.text.imageLaunched',
  'image.deprecated': 'inbox.text.imageDeprecated',
};

function describe(t: Translate, locale: Locale, entry: InboxEntry, me: string): string {
  const who = (id: string | null) =>
    id === null ? '—' : id === me ? t('inbox.you') : id === 'system' ? t('inbox.system') : id;
  const left = entry.type === 'share.cancelled' && entry.details.reason === 'left';
  return t(left ? 'inbox.text.shareLeft' : SENTENCE[entry.type], {
    actor: who(entry.actorId),
    target: who(entry.targetAccountId),
    image: entry.imageName ?? entry.imageId,
    count: entry.details.count ?? '1',
    end: entry.details.expiresAt ? formatTime(entry.details.expiresAt, locale) : '—',
  });
}

export default function InboxPage() {
  const { t } = useI18n();
  return (
    <div className="page">
      <InboxSection />
      <WebhooksSection />
      <p className="muted">{t('inbox.footer')}</p>
    </div>
  );
}

function InboxSection() {
  const { t, locale } = useI18n();
  const { account } = useSession();
  const client = useQueryClient();
  const [filter, setFilter] = useState<'all' | 'unread'>('all');
  // The markers of the pages before this one (a "Previous" goes back one).
  const [markers, setMarkers] = useState<string[]>([]);
  const marker = markers[markers.length - 1];
  const inbox = useInbox({ ...(marker ? { marker } : {}), unread: filter === 'unread', limit: PAGE_SIZE });
  const touches = [notificationKeys.inbox];
  const mark = useChange({
    run: (input: { entry: InboxEntry; read: boolean }) =>
      api<InboxEntry>('PUT', `/inbox/${encodeURIComponent(input.entry.id)}`, { body: { read: input.read } }),
    touches,
    reportErrors: true,
  });
  const markAll = useChange({
    run: () => api<{ marked: number }>('POST', '/inbox/read-all'),
    touches,
    doneMessage: (r) => t('inbox.markedAll', { count: r.marked }),
    reportErrors: true,
  });

  const columns: PrimaryTableCol<InboxEntry>[] = [
    {
      colKey: 'at',
      title: t('inbox.col.at'),
      width: 160,
      cell: ({ row }) => <TimeText iso={row.at} locale={locale} />,
    },
    {
      colKey: 'type',
      title: t('inbox.col.type'),
      width: 150,
      cell: ({ row }) => (
        <Tag
          variant="outline"
          theme={row.type === 'image.deleted' || row.type === 'share.expiring' ? 'warning' : 'default'}
        >
          {t(TYPE_TEXT[row.type])}
        </Tag>
      ),
    },
    {
      colKey: 'what',
      title: t('inbox.col.what'),
      width: 360,
      cell: ({ row }) => (
        <div className="name-cell">
          <span className={row.read ? undefined : 'unread-text'}>{describe(t, locale, row, account.id)}</span>
          <code className="id small">{row.imageId}</code>
        </div>
      ),
    },
    {
      colKey: 'read',
      title: t('inbox.col.state'),
      width: 100,
      cell: ({ row }) => (
        <Tag theme={row.read ? 'default' : 'primary'} variant="light">
          {t(row.read ? 'inbox.read' : 'inbox.unread')}
        </Tag>
      ),
    },
    {
      colKey: 'actions',
      title: t('common.actions'),
      fixed: 'right',
      width: 150,
      cell: ({ row }) => (
        <Button
          variant="text"
          theme="primary"
          size="small"
          aria-label={`${t(row.read ? 'inbox.markUnread' : 'inbox.markRead')}: ${describe(t, locale, row, account.id)}`}
          onClick={() => mark.mutate({ entry: row, read: !row.read })}
        >
          {t(row.read ? 'inbox.markUnread' : 'inbox.markRead')}
        </Button>
      ),
    },
  ];

  return (
    <>
      <div className="page-header">
        <h1>{t('inbox.title')}</h1>
        <div className="page-header-tools">
          <Button
            variant="outline"
            icon={<RefreshIcon />}
            onClick={() => void client.invalidateQueries({ queryKey: notificationKeys.inbox })}
          >
            {t('common.refresh')}
          </Button>
          <Button
            theme="primary"
            variant="outline"
            loading={markAll.isPending}
            disabled={!inbox.data || inbox.data.unread === 0}
            onClick={() => markAll.mutate()}
          >
            {t('inbox.markAll')}
          </Button>
        </div>
      </div>
      <section className="panel" aria-labelledby="inbox-panel-title">
        <h2 id="inbox-panel-title" className="sr-only">
          {t('inbox.title')}
        </h2>
        <p className="muted panel-intro">
          {t('inbox.intro')}{' '}
          {inbox.data ? <strong>{t('inbox.unreadCount', { count: inbox.data.unread })}</strong> : null}
        </p>
        <TabBar
          idPrefix="inbox"
          label={t('inbox.title')}
          items={[
            { value: 'all', label: t('inbox.all') },
            { value: 'unread', label: t('inbox.unreadOnly') },
          ]}
          value={filter}
          onChange={(value) => {
            setFilter(value);
            setMarkers([]);
          }}
        />
        <div id="inbox-panel" role="tabpanel" aria-labelledby={`inbox-tab-${filter}`}>
          <QueryState query={inbox}>
            {(data) => (
              <>
                <Table
                  rowKey="id"
                  data={data.items}
                  columns={columns}
                  tableLayout="auto"
                  empty={<EmptyState title={t(filter === 'unread' ? 'inbox.emptyUnread' : 'inbox.empty')} />}
                />
                <div className="pager-row">
                  <Button
                    variant="outline"
                    disabled={markers.length === 0}
                    onClick={() => setMarkers(markers.slice(0, -1))}
                  >
                    {t('inbox.previous')}
                  </Button>
                  <Button
                    variant="outline"
                    disabled={!data.next}
                    onClick={() => data.next && setMarkers([...markers, data.next])}
                  >
                    {t('inbox.next')}
                  </Button>
                </div>
              </>
            )}
          </QueryState>
        </div>
      </section>
    </>
  );
}

function webhookError(t: Translate, error: unknown): string {
  if (error instanceof ApiError && error.code === 'InvalidInput' && error.details.field === 'url')
    return t('webhooks.badUrl');
  if (error instanceof ApiError && error.code === 'QuotaExceeded') return t('webhooks.tooMany');
  return errorMessage(t, error);
}

function WebhooksSection() {
  const { t, locale } = useI18n();
  const webhooks = useWebhooks();
  const [adding, setAdding] = useState(false);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<NewWebhook | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const create = useChange({
    run: () =>
      api<NewWebhook>('POST', '/webhooks', {
        body: { url: url.trim(), ...(description.trim() ? { description: description.trim() } : {}) },
      }),
    touches: [notificationKeys.webhooks],
    onDone: (hook) => {
      setAdding(false);
      setUrl('');
      setDescription('');
      setCreated(hook);
    },
  });
  const remove = useChange({
    run: (hook: Webhook) => api('DELETE', `/webhooks/${encodeURIComponent(hook.id)}`),
    touches: [notificationKeys.webhooks],
    doneMessage: () => t('webhooks.deleted'),
    onDone: () => setDeleting(null),
  });

  const columns: PrimaryTableCol<Webhook>[] = [
    {
      colKey: 'url',
      title: t('webhooks.col.url'),
      width: 320,
      cell: ({ row }) => <code className="id">{row.url}</code>,
    },
    {
      colKey: 'description',
      title: t('webhooks.col.description'),
      width: 180,
      cell: ({ row }) => row.description || '—',
    },
    {
      colKey: 'createdAt',
      title: t('webhooks.col.created'),
      width: 160,
      cell: ({ row }) => <TimeText iso={row.createdAt} locale={locale} />,
    },
    {
      colKey: 'actions',
      title: t('common.actions'),
      fixed: 'right',
      width: 110,
      cell: ({ row }) => (
        <Button
          variant="text"
          theme="danger"
          size="small"
          aria-label={`${t('action.delete')}: ${row.url}`}
          onClick={() => setDeleting(row)}
        >
          {t('action.delete')}
        </Button>
      ),
    },
  ];

  return (
    <section className="panel" aria-labelledby="webhooks-title">
      <div className="section-header">
        <h2 id="webhooks-title" className="section-title">
          {t('webhooks.title')}
        </h2>
        <Button theme="primary" variant="outline" icon={<AddIcon />} onClick={() => setAdding(true)}>
          {t('webhooks.add')}
        </Button>
      </div>
      <p className="muted">{t('webhooks.intro')}</p>
      <QueryState query={webhooks}>
        {(data) => (
          <Table
            rowKey="id"
            data={data.items}
            columns={columns}
            tableLayout="auto"
            empty={<EmptyState title={t('webhooks.empty')} />}
          />
        )}
      </QueryState>
      {adding ? (
        <ActionDialog
          title={t('webhooks.addTitle')}
          onClose={() => setAdding(false)}
          action={{
            label: t('webhooks.add'),
            loading: create.isPending,
            disabled: url.trim() === '',
            onClick: () => create.mutate(),
          }}
        >
          <Field label={t('webhooks.url')} hint={t('webhooks.urlHint')}>
            <Input value={url} onChange={(v) => setUrl(String(v))} placeholder="https://" autofocus />
          </Field>
          <Field label={t('webhooks.description')}>
            <Input value={description} onChange={(v) => setDescription(String(v))} maxlength={255} />
          </Field>
          {create.error ? <Alert theme="error" message={webhookError(t, create.error)} /> : null}
        </ActionDialog>
      ) : null}
      {created ? (
        <ActionDialog
          title={t('webhooks.createdTitle')}
          onClose={() => setCreated(null)}
          dismiss={null}
          action={{ label: t('keys.saved'), onClick: () => setCreated(null), autoFocus: true }}
        >
          <Alert theme="warning" message={t('webhooks.onlyOnce')} />
          <dl className="checksums">
            <dt>{t('webhooks.url')}</dt>
            <dd>
              <code className="id">{created.url}</code>
            </dd>
            <dt>{t('webhooks.secret')}</dt>
            <dd>
              <CopyableId id={created.secret} label={t('webhooks.copySecret')} />
            </dd>
          </dl>
        </ActionDialog>
      ) : null}
      {deleting ? (
        <ActionDialog
          title={t('webhooks.deleteTitle')}
          onClose={() => setDeleting(null)}
          action={{
            label: t('action.delete'),
            theme: 'danger',
            loading: remove.isPending,
            autoFocus: true,
            onClick: () => remove.mutate(deleting),
          }}
          error={remove.error}
        >
          <p>{t('webhooks.deleteConfirm', { url: deleting.url })}</p>
        </ActionDialog>
      ) : null}
    </section>
  );
}
