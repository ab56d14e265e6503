// Account information: the account ID up front with a copy button (what the receiver sends to the owner, per the
// seed), the name, API keys (SecretKey shown once), and the password change.
import { useState, type FormEvent } from 'react';
import { Alert, Input, Table, Tag, type PrimaryTableCol } from 'tdesign-react';
import { Button } from '../components/Button';
import { AddIcon } from 'tdesign-icons-react';
import { useMutation } from '@tanstack/react-query';
import { api, ApiError } from '../api/client';
import { errorMessage } from '../api/errors';
import { keys, useApiKeys } from '../api/queries';
import type { ApiKey, NewApiKey } from '../api/types';
import { useSession } from '../app/session';
import { useChange } from '../app/useChange';
import { CopyableId } from '../components/CopyableId';
import { Field } from '../components/Field';
import { formatTime } from '../components/format';
import { TimeText } from '../components/TimeText';
import { ActionDialog } from '../components/ActionDialog';
import { EmptyState, QueryState } from '../components/States';
import { useI18n } from '../i18n';
import { LaunchPolicySection } from './LaunchPolicySection';

export default function AccountPage() {
  const { t, locale } = useI18n();
  const { account } = useSession();
  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('account.title')}</h1>
      </div>
      <section className="panel account-id-panel" aria-labelledby="account-id-label">
        <h2 id="account-id-label" className="section-title">
          {t('account.id')}
        </h2>
        <CopyableId id={account.id} large label={t('account.copyId')} />
        <p className="account-id-hint">{t('account.idHint')}</p>
        <dl className="facts">
          <dt>{t('account.name')}</dt>
          <dd>{account.name}</dd>
          <dt>{t('account.created')}</dt>
          <dd>{formatTime(account.createdAt, locale)}</dd>
          {account.isAdmin ? (
            <>
              <dt>{t('account.role')}</dt>
              <dd>{t('account.admin')}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <ApiKeysSection />
      <LaunchPolicySection />
      <PasswordSection />
    </div>
  );
}

function ApiKeysSection() {
  const { t, locale } = useI18n();
  const apiKeys = useApiKeys();
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const create = useChange({
    run: () => api<NewApiKey>('POST', '/account/api-keys'),
    touches: [keys.apiKeys],
    onDone: (key) => setCreated(key),
    reportErrors: true,
  });
  const toggle = useChange({
    run: (key: ApiKey) =>
      api<ApiKey>(
        'POST',
        `/account/api-keys/${encodeURIComponent(key.secretId)}/${key.enabled ? 'disable' : 'enable'}`,
      ),
    touches: [keys.apiKeys],
    doneMessage: (key) => t(key.enabled ? 'keys.enabled' : 'keys.disabled'),
    reportErrors: true,
  });
  const remove = useChange({
    run: (key: ApiKey) => api('DELETE', `/account/api-keys/${encodeURIComponent(key.secretId)}`),
    touches: [keys.apiKeys],
    doneMessage: () => t('keys.deleted'),
    onDone: () => setDeleting(null),
  });

  const columns: PrimaryTableCol<ApiKey>[] = [
    {
      colKey: 'secretId',
      title: 'SecretId',
      width: 300,
      cell: ({ row }) => <CopyableId id={row.secretId} />,
    },
    {
      colKey: 'enabled',
      title: t('keys.col.state'),
      width: 100,
      cell: ({ row }) => (
        <Tag theme={row.enabled ? 'success' : 'default'} variant="light">
          {t(row.enabled ? 'keys.on' : 'keys.off')}
        </Tag>
      ),
    },
    {
      colKey: 'createdAt',
      title: t('keys.col.created'),
      width: 160,
      cell: ({ row }) => <TimeText iso={row.createdAt} locale={locale} />,
    },
    {
      colKey: 'actions',
      title: t('common.actions'),
      // On a phone the table scrolls sideways inside its box; the actions stay in view at its right edge.
      fixed: 'right',
      width: 170,
      cell: ({ row }) => (
        <div className="row-actions">
          <Button
            variant="text"
            theme="primary"
            size="small"
            aria-label={`${t(row.enabled ? 'keys.disable' : 'keys.enable')}: ${row.secretId}`}
            onClick={() => toggle.mutate(row)}
          >
            {t(row.enabled ? 'keys.disable' : 'keys.enable')}
          </Button>
          <Button
            variant="text"
            theme="danger"
            size="small"
            aria-label={`${t('action.delete')}: ${row.secretId}`}
            onClick={() => setDeleting(row)}
          >
            {t('action.delete')}
          </Button>
        </div>
      ),
    },
  ];

  return (
    <section className="panel" aria-labelledby="keys-title">
      <div className="section-header">
        <h2 id="keys-title" className="section-title">
          {t('keys.title')}
        </h2>
        <Button
          theme="primary"
          variant="outline"
          icon={<AddIcon />}
          loading={create.isPending}
          onClick={() => create.mutate()}
        >
          {t('keys.create')}
        </Button>
      </div>
      <p className="muted">{t('keys.intro')}</p>
      <QueryState query={apiKeys}>
        {(data) => (
          <Table
            rowKey="secretId"
            data={data.apiKeys}
            columns={columns}
            tableLayout="auto"
            empty={<EmptyState title={t('keys.empty')} />}
          />
        )}
      </QueryState>
      {created ? (
        <ActionDialog
          title={t('keys.createdTitle')}
          onClose={() => setCreated(null)}
          dismiss={null}
          action={{ label: t('keys.saved'), onClick: () => setCreated(null), autoFocus: true }}
        >
          <Alert theme="warning" message={t('keys.onlyOnce')} />
          <dl className="checksums">
            <dt>SecretId</dt>
            <dd>
              <CopyableId id={created.secretId} />
            </dd>
            <dt>SecretKey</dt>
            <dd>
              <CopyableId id={created.secretKey} label={t('keys.copySecret')} />
            </dd>
          </dl>
        </ActionDialog>
      ) : null}
      {deleting ? (
        <ActionDialog
          title={t('keys.deleteTitle')}
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
          <p>{t('keys.deleteConfirm', { id: deleting.secretId })}</p>
        </ActionDialog>
      ) : null}
    </section>
  );
}

function PasswordSection() {
  const { t } = useI18n();
  const { endSession } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: () =>
      api('PUT', '/account/password', {
        body: { currentPassword: current, newPassword: next },
        sessionBound: false,
      }),
    onSuccess: () => endSession('login.passwordChanged'),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!current || !next) return setProblem(t('password.missing'));
    if (next.length < 6) return setProblem(t('password.tooShort'));
    if (next !== again) return setProblem(t('password.mismatch'));
    setProblem(null);
    change.mutate();
  }
  return (
    <section className="panel" aria-labelledby="password-title">
      <h2 id="password-title" className="section-title">
        {t('password.title')}
      </h2>
      <p className="muted">{t('password.intro')}</p>
      <form onSubmit={submit} className="narrow-form" noValidate>
        <input type="text" name="username" autoComplete="username" hidden readOnly value="" />
        <Field label={t('password.current')}>
          <Input
            type="password"
            value={current}
            onChange={(v) => setCurrent(String(v))}
            autocomplete="current-password"
          />
        </Field>
        <Field label={t('password.new')} hint={t('password.rule')}>
          <Input
            type="password"
            value={next}
            onChange={(v) => setNext(String(v))}
            autocomplete="new-password"
          />
        </Field>
        <Field label={t('password.again')}>
          <Input
            type="password"
            value={again}
            onChange={(v) => setAgain(String(v))}
            autocomplete="new-password"
          />
        </Field>
        {problem || change.isError ? (
          <div role="alert" className="form-error">
            {problem ??
              (change.error instanceof ApiError &&
              (change.error.status === 401 || change.error.code === 'InvalidCredentials')
                ? t('password.wrongCurrent')
                : errorMessage(t, change.error))}
          </div>
        ) : null}
        <Button type="submit" theme="primary" loading={change.isPending}>
          {t('password.submit')}
        </Button>
      </form>
    </section>
  );
}
