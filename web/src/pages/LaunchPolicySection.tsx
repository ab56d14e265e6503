// My launch policy (issue 12 guardrails), on the account page: whose images I let myself launch (off, audit or
// enforce, and an allow-list of account IDs and group IDs), and the launches the audit mode recorded.
import { useEffect, useState, type FormEvent } from 'react';
import { Table, Textarea, type PrimaryTableCol } from 'tdesign-react';
import { api } from '../api/client';
import { errorMessage } from '../api/errors';
import { guardrailKeys, useLaunchAudit, useLaunchPolicy } from '../api/queries';
import type { LaunchAuditRecord, LaunchPolicy, LaunchPolicyMode } from '../api/types';
import { useChange } from '../app/useChange';
import { Button } from '../components/Button';
import { CopyableId } from '../components/CopyableId';
import { Pager } from '../components/Pager';
import { EmptyState, QueryState } from '../components/States';
import { TimeText } from '../components/TimeText';
import { useI18n, type MessageKey } from '../i18n';

const MODES: LaunchPolicyMode[] = ['off', 'audit', 'enforce'];
const ACCOUNT_ID = /^[1-9][0-9]{4,19}$/;
const GROUP_ID = /^grp-[a-z0-9]{8}$/;
const SURFACE_TEXT: Record<string, MessageKey> = {
  openstack: 'history.surface.openstack',
  tencent: 'history.surface.tencent',
  'tencent-legacy': 'history.surface.tencentLegacy',
  console: 'history.surface.console',
  service: 'history.surface.service',
};

/** The entries as typed: one per line or separated by commas or spaces, repeats dropped. */
function entriesOf(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

export function LaunchPolicySection() {
  const { t } = useI18n();
  const policy = useLaunchPolicy();
  return (
    <section className="panel" aria-labelledby="launch-policy-title">
      <h2 id="launch-policy-title" className="section-title">
        {t('guard.title')}
      </h2>
      <p className="muted">{t('guard.intro')}</p>
      <QueryState query={policy}>{(data) => <PolicyForm policy={data} />}</QueryState>
      <AuditRecords />
    </section>
  );
}

function PolicyForm({ policy }: { policy: LaunchPolicy }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<LaunchPolicyMode>(policy.mode);
  const [owners, setOwners] = useState(policy.allowedOwners.join('\n'));
  // The service's answer (after a save, or fetched again) is what the form shows.
  useEffect(() => {
    setMode(policy.mode);
    setOwners(policy.allowedOwners.join('\n'));
  }, [policy]);
  const entries = entriesOf(owners);
  const bad = entries.find((e) => !ACCOUNT_ID.test(e) && !GROUP_ID.test(e));
  const problem = bad
    ? t('guard.badEntry', { entry: bad.slice(0, 40) })
    : entries.length > policy.maxAllowedOwners
      ? t('guard.tooMany', { max: policy.maxAllowedOwners })
      : null;
  const save = useChange({
    run: () => api<LaunchPolicy>('PUT', '/launch-policy', { body: { mode, allowedOwners: entries } }),
    touches: [guardrailKeys.launchPolicy],
    doneMessage: () => t('guard.saved'),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (problem === null) save.mutate();
  };
  return (
    <form className="launch-policy-form" onSubmit={submit}>
      <fieldset className="radio-group">
        <legend className="field-label">{t('guard.mode')}</legend>
        {MODES.map((m) => (
          <label key={m} className="checkbox-field">
            <input
              type="radio"
              name="launch-policy-mode"
              value={m}
              checked={mode === m}
              onChange={() => setMode(m)}
            />
            <span>{t(`guard.mode.${m}` as MessageKey)}</span>
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label>
          <span className="field-label">{t('guard.owners')}</span>
          <Textarea
            value={owners}
            onChange={(value) => setOwners(String(value))}
            autosize={{ minRows: 3, maxRows: 8 }}
            status={problem ? 'error' : 'default'}
          />
        </label>
        <div className="field-hint">{t('guard.ownersHint', { max: policy.maxAllowedOwners })}</div>
        {problem ? (
          <div className="field-error" role="alert">
            {problem}
          </div>
        ) : null}
      </div>
      {save.isError ? (
        <div className="field-error" role="alert">
          {errorMessage(t, save.error)}
        </div>
      ) : null}
      <Button type="submit" theme="primary" loading={save.isPending} disabled={problem !== null}>
        {t('guard.save')}
      </Button>
    </form>
  );
}

function AuditRecords() {
  const { t, locale } = useI18n();
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(10);
  const audit = useLaunchAudit({ page, pageSize });
  const columns: PrimaryTableCol<LaunchAuditRecord>[] = [
    {
      colKey: 'at',
      title: t('guard.audit.col.at'),
      width: 160,
      cell: ({ row }) => <TimeText iso={row.at} locale={locale} />,
    },
    {
      colKey: 'image',
      title: t('guard.audit.col.image'),
      cell: ({ row }) => (
        <div className="name-cell">
          <span>{row.imageName ?? row.imageId}</span>
          <CopyableId id={row.imageId} />
        </div>
      ),
    },
    {
      colKey: 'ownerId',
      title: t('guard.audit.col.owner'),
      cell: ({ row }) => <CopyableId id={row.ownerId} />,
    },
    { colKey: 'region', title: t('guard.audit.col.region') },
    { colKey: 'instances', title: t('guard.audit.col.instances'), width: 100 },
    {
      colKey: 'surface',
      title: t('guard.audit.col.surface'),
      cell: ({ row }) => (SURFACE_TEXT[row.surface] ? t(SURFACE_TEXT[row.surface]!) : row.surface),
    },
  ];
  return (
    <div className="launch-audit">
      <h3 id="launch-audit-title" className="section-subtitle">
        {t('guard.audit.title')}
      </h3>
      <p className="muted">{t('guard.audit.intro')}</p>
      <QueryState query={audit}>
        {(data) => (
          <>
            <Table
              rowKey="id"
              data={data.items}
              columns={columns}
              tableLayout="auto"
              aria-labelledby="launch-audit-title"
              empty={<EmptyState title={t('guard.audit.empty')} />}
            />
            {data.total > pageSize ? (
              <Pager
                page={page}
                pageSize={pageSize}
                total={data.total}
                onChange={(p, size) => {
                  setPage(p);
                  setPageSize(size);
                }}
              />
            ) : null}
          </>
        )}
      </QueryState>
    </div>
  );
}
