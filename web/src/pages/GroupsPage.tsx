// Account groups (issue 12): named groups of other accounts that an image can be shared with as one place in
// its limit. Create a group, open it, add or remove accounts; members who join later get what the group was
// given, members who leave lose it at once. Deleting a group ends its shares.
import { useState } from 'react';
import { Input, Table, Tag, Textarea, type PrimaryTableCol } from 'tdesign-react';
import { AddIcon, DeleteIcon } from 'tdesign-icons-react';
import { api } from '../api/client';
import { keys, useGroup, useGroups } from '../api/queries';
import type { GroupView } from '../api/types';
import { useChange } from '../app/useChange';
import { ActionDialog } from '../components/ActionDialog';
import { Button } from '../components/Button';
import { Field } from '../components/Field';
import { EmptyState, ErrorState, LoadingState, QueryState } from '../components/States';
import { TimeText } from '../components/TimeText';
import { errorMessage } from '../api/errors';
import { useI18n } from '../i18n';

/** Account IDs typed or pasted: separated by commas, spaces or new lines. */
function parseIds(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

export default function GroupsPage() {
  const { t, locale } = useI18n();
  const groups = useGroups();
  const [name, setName] = useState('');
  const [openId, setOpenId] = useState<string | null>(null);

  const create = useChange({
    run: (groupName: string) => api<GroupView>('POST', '/groups', { body: { name: groupName } }),
    touches: [keys.groups],
    doneMessage: (g) => t('groups.created', { name: g.name }),
    onDone: (g) => {
      setName('');
      setOpenId(g.id);
    },
  });

  const columns: PrimaryTableCol<GroupView>[] = [
    {
      colKey: 'name',
      title: t('groups.col.name'),
      cell: ({ row }) => (
        <div className="name-cell">
          <span>{row.name}</span>
          <code className="id small">{row.id}</code>
        </div>
      ),
    },
    { colKey: 'size', title: t('groups.col.size'), width: 120, cell: ({ row }) => String(row.size) },
    {
      colKey: 'createdAt',
      title: t('groups.col.created'),
      width: 170,
      cell: ({ row }) => <TimeText iso={row.createdAt} locale={locale} />,
    },
    {
      colKey: 'actions',
      title: t('common.actions'),
      width: 140,
      cell: ({ row }) => (
        <Button
          variant="text"
          onClick={() => setOpenId(row.id)}
          aria-label={t('groups.openNamed', { name: row.name })}
        >
          {t('groups.open')}
        </Button>
      ),
    },
  ];

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('groups.title')}</h1>
      </div>
      <section className="panel">
        <p className="muted panel-intro">{t('groups.intro')}</p>
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (name.trim()) create.mutate(name.trim());
          }}
        >
          <Field label={t('groups.name')}>
            <Input
              value={name}
              onChange={(v) => setName(String(v))}
              maxlength={64}
              placeholder={t('groups.namePlaceholder')}
            />
          </Field>
          <Button type="submit" icon={<AddIcon />} disabled={!name.trim()} loading={create.isPending}>
            {t('groups.create')}
          </Button>
        </form>
        {create.error ? (
          <p className="form-error" role="alert">
            {errorMessage(t, create.error)}
          </p>
        ) : null}
        <QueryState query={groups}>
          {(data) => (
            <>
              <Table
                rowKey="id"
                data={data.groups}
                columns={columns}
                tableLayout="auto"
                empty={<EmptyState title={t('groups.empty')} />}
              />
              <p className="places">
                {t('groups.limits', {
                  used: data.total,
                  max: data.maxGroups,
                  size: data.maxMembersPerGroup,
                })}
              </p>
            </>
          )}
        </QueryState>
      </section>
      {openId ? <GroupDialog groupId={openId} onClose={() => setOpenId(null)} /> : null}
    </div>
  );
}

function GroupDialog({ groupId, onClose }: { groupId: string; onClose(): void }) {
  const { t, locale } = useI18n();
  const group = useGroup(groupId);
  const [text, setText] = useState('');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const path = `/groups/${encodeURIComponent(groupId)}`;

  const add = useChange({
    run: (accountIds: string[]) =>
      api<{ added: string[] }>('POST', `${path}/members`, { body: { accountIds } }),
    touches: [keys.groups],
    doneMessage: (r) => t('groups.added', { count: r.added.length }),
    onDone: () => setText(''),
  });
  const remove = useChange({
    run: (accountId: string) => api<void>('DELETE', `${path}/members/${encodeURIComponent(accountId)}`),
    touches: [keys.groups],
    doneMessage: (_r, accountId) => t('groups.removed', { id: accountId }),
    reportErrors: true,
  });
  const destroy = useChange({
    run: () => api<void>('DELETE', path),
    touches: [keys.groups, keys.images],
    doneMessage: () => t('groups.deleted'),
    onDone: onClose,
  });
  const ids = parseIds(text);

  if (confirmDelete && group.data) {
    return (
      <ActionDialog
        title={t('groups.deleteTitle', { name: group.data.group.name })}
        onClose={() => setConfirmDelete(false)}
        action={{
          label: t('groups.delete'),
          theme: 'danger',
          loading: destroy.isPending,
          onClick: () => destroy.mutate(),
        }}
        error={destroy.error}
      >
        <p>{t('groups.deleteExplain', { count: group.data.images.length })}</p>
      </ActionDialog>
    );
  }

  return (
    <ActionDialog
      width={640}
      title={group.data ? t('groups.dialogTitle', { name: group.data.group.name }) : t('groups.title')}
      onClose={onClose}
      dismiss={{ label: t('common.close'), onClick: onClose }}
      extra={
        group.data ? (
          <Button
            variant="outline"
            theme="danger"
            icon={<DeleteIcon />}
            onClick={() => setConfirmDelete(true)}
          >
            {t('groups.delete')}
          </Button>
        ) : null
      }
      action={{
        label: t('groups.addMembers'),
        disabled: ids.length === 0 || !group.data,
        loading: add.isPending,
        onClick: () => add.mutate(ids),
      }}
      error={add.error}
    >
      {group.isPending ? <LoadingState /> : null}
      {group.isError ? <ErrorState error={group.error} onRetry={() => void group.refetch()} /> : null}
      {group.data ? (
        <>
          <p className="muted">
            <code className="id">{group.data.group.id}</code> ·{' '}
            {t('groups.sizeOf', { count: group.data.members.length })}
          </p>
          <label className="field">
            <span className="field-label">{t('groups.accountIds')}</span>
            <Textarea
              value={text}
              onChange={(v) => setText(String(v))}
              placeholder={t('share.placeholder')}
              autosize={{ minRows: 2, maxRows: 6 }}
            />
          </label>
          <h3>{t('groups.members')}</h3>
          {group.data.members.length === 0 ? (
            <EmptyState title={t('groups.noMembers')} />
          ) : (
            <ul className="entry-list" aria-label={t('groups.members')}>
              {group.data.members.map((m) => (
                <li key={m.accountId} className="entry ok">
                  <code>{m.accountId}</code>
                  <span className="muted">
                    <TimeText iso={m.addedAt} locale={locale} />
                  </span>
                  <Button
                    variant="text"
                    theme="danger"
                    loading={remove.isPending && remove.variables === m.accountId}
                    onClick={() => remove.mutate(m.accountId)}
                    aria-label={t('groups.removeNamed', { id: m.accountId })}
                  >
                    {t('groups.remove')}
                  </Button>
                </li>
              ))}
            </ul>
          )}
          <h3>{t('groups.images')}</h3>
          {group.data.images.length === 0 ? (
            <p className="muted">{t('groups.noImages')}</p>
          ) : (
            <ul className="entry-list" aria-label={t('groups.images')}>
              {group.data.images.map((i) => (
                <li key={i.imageId} className="entry ok">
                  <code>{i.imageId}</code>
                  {i.expiresAt ? (
                    <Tag variant="light">
                      {t('groups.until')} <TimeText iso={i.expiresAt} locale={locale} />
                    </Tag>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </ActionDialog>
  );
}
