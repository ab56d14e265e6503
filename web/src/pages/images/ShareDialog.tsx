// The seed's "Share Image" window: account IDs typed or pasted, checked as they are typed (first here, then by
// the service's pre-flight, which knows which accounts exist), the places left on the image, the share's
// optional end time and copy grant, and after sharing the result for each account in words.
import { useEffect, useMemo, useState } from 'react';
import { Tag, Textarea } from 'tdesign-react';
import { CheckCircleIcon, ErrorCircleIcon } from 'tdesign-icons-react';
import { api } from '../../api/client';
import { keys, useGroups, useShares } from '../../api/queries';
import type { ImageView, ShareCheckResults, ShareOutcome, ShareResults } from '../../api/types';
import { useSession } from '../../app/session';
import { useChange } from '../../app/useChange';
import { ActionDialog } from '../../components/ActionDialog';
import { ErrorState, LoadingState } from '../../components/States';
import { useI18n, type MessageKey } from '../../i18n';
import { judgeEntries, type EntryProblem } from './shareInput';

const PROBLEM_TEXT: Record<EntryProblem, MessageKey> = {
  notDigits: 'share.problem.notDigits',
  tooLong: 'share.problem.tooLong',
  self: 'share.problem.self',
  duplicate: 'share.problem.duplicate',
  alreadyShared: 'share.problem.alreadyShared',
  noPlaceLeft: 'share.problem.noPlaceLeft',
};

const OUTCOME_TEXT: Record<ShareOutcome, MessageKey> = {
  shared: 'share.outcome.shared',
  alreadyShared: 'share.outcome.alreadyShared',
  unknownAccount: 'share.outcome.unknownAccount',
  self: 'share.outcome.self',
  limitReached: 'share.outcome.limitReached',
  invalid: 'share.outcome.invalid',
};

export function ShareDialog({
  image,
  onClose,
  onOpenPanel,
}: {
  image: ImageView;
  onClose(): void;
  onOpenPanel(): void;
}) {
  const { t } = useI18n();
  const { account } = useSession();
  const shares = useShares(image.id);
  const [text, setText] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const [allowCopy, setAllowCopy] = useState(false);
  // Account groups (issue 12): each chosen group is shared with as one target, one place in the limit.
  const groups = useGroups();
  const [chosenGroups, setChosenGroups] = useState<string[]>([]);
  const groupName = new Map((groups.data?.groups ?? []).map((g) => [g.id, g.name]));
  const sharedGroups = new Set((shares.data?.groups ?? []).map((g) => g.groupId));

  const limit = shares.data?.limit ?? 50;
  const used = shares.data?.used ?? 0;
  const alreadyShared = useMemo(
    () => new Set((shares.data?.shares ?? []).map((s) => s.accountId)),
    [shares.data],
  );
  const entries = judgeEntries(text, { selfId: account.id, alreadyShared, placesLeft: limit - used });
  const valid = entries.filter((e) => !e.problem).map((e) => e.accountId);
  const left = Math.max(0, limit - used - valid.length - chosenGroups.length);
  const targets = [...valid, ...chosenGroups];

  // The pre-flight: what sharing would answer for each account that passes the checks made here, asked
  // 400 ms after the typing stops; it changes nothing. An answer for an older text is dropped.
  const validKey = valid.join(',');
  const [verdicts, setVerdicts] = useState<{ key: string; results: ShareCheckResults['results'] } | null>(
    null,
  );
  useEffect(() => {
    if (validKey === '') return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api<ShareCheckResults>('POST', `/images/${encodeURIComponent(image.id)}/shares/check`, {
        body: { accountIds: validKey.split(',') },
        signal: controller.signal,
      })
        .then((answer) => setVerdicts({ key: validKey, results: answer.results }))
        .catch(() => undefined); // the share itself still reports each account's outcome
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [validKey, image.id]);
  const current = verdicts && verdicts.key === validKey ? verdicts.results : null;
  const refusedByService = new Map(
    (current ?? []).filter((r) => !r.ok).map((r) => [r.accountId, r.outcome] as const),
  );
  const checking = validKey !== '' && current === null;

  // The results stay in the dialog (per account, in words): no message, no closing.
  const share = useChange({
    run: (accountIds: string[]) =>
      api<ShareResults>('POST', `/images/${encodeURIComponent(image.id)}/shares`, {
        body: {
          accountIds,
          ...(endsAt ? { expiresAt: new Date(endsAt).toISOString() } : {}),
          ...(allowCopy ? { access: 'launch_and_copy' } : {}),
        },
      }),
    touches: [keys.images, keys.history],
  });
  const results = share.data;

  return (
    <ActionDialog
      width={620}
      title={t('share.title', { name: image.name })}
      onClose={onClose}
      dismiss={results ? { label: t('share.openPanel'), onClick: onOpenPanel } : undefined}
      action={
        results
          ? { label: t('common.done'), onClick: onClose, autoFocus: true }
          : {
              label: t('share.submit'),
              disabled:
                targets.length === 0 ||
                entries.some((e) => e.problem) ||
                refusedByService.size > 0 ||
                !shares.data,
              loading: share.isPending,
              onClick: () => share.mutate(targets),
            }
      }
      error={results ? null : share.error}
    >
      {shares.isPending ? <LoadingState /> : null}
      {shares.isError ? <ErrorState error={shares.error} onRetry={() => void shares.refetch()} /> : null}
      {shares.data && !results ? (
        <>
          <p className="muted">{t('share.explain')}</p>
          <label className="field">
            <span className="field-label">{t('share.accountIds')}</span>
            <Textarea
              value={text}
              onChange={(v) => setText(String(v))}
              placeholder={t('share.placeholder')}
              autosize={{ minRows: 3, maxRows: 8 }}
              status={entries.some((e) => e.problem) ? 'error' : 'default'}
            />
          </label>
          <p className="places" aria-live="polite">
            {t('share.placesLeft', { left, limit })}
            {checking ? ` · ${t('share.checking')}` : ''}
          </p>
          <fieldset className="field group-choice">
            <legend className="field-label">{t('share.groups')}</legend>
            {groups.data && groups.data.groups.length === 0 ? (
              <p className="muted">{t('share.noGroups')}</p>
            ) : null}
            {(groups.data?.groups ?? []).map((g) => (
              <label key={g.id} className="checkbox-field">
                <input
                  type="checkbox"
                  disabled={sharedGroups.has(g.id)}
                  checked={sharedGroups.has(g.id) || chosenGroups.includes(g.id)}
                  onChange={(e) =>
                    setChosenGroups((list) =>
                      e.target.checked ? [...list, g.id] : list.filter((id) => id !== g.id),
                    )
                  }
                />
                <span>
                  {t('share.groupOption', { name: g.name, count: g.size })}
                  {sharedGroups.has(g.id) ? ` · ${t('share.problem.alreadyShared')}` : ''}
                </span>
              </label>
            ))}
          </fieldset>
          <label className="field">
            <span className="field-label">{t('share.expiresAt')}</span>
            <input
              type="datetime-local"
              className="native-input"
              value={endsAt}
              onChange={(e) => setEndsAt(e.target.value)}
            />
          </label>
          <label className="field checkbox-field">
            <input type="checkbox" checked={allowCopy} onChange={(e) => setAllowCopy(e.target.checked)} />
            <span>{t('share.allowCopy')}</span>
          </label>
          {entries.length > 0 ? (
            <ul className="entry-list" aria-label={t('share.checked')} aria-live="polite">
              {entries.map((entry, index) => {
                const refused = entry.problem ? undefined : refusedByService.get(entry.accountId);
                const bad = Boolean(entry.problem) || refused !== undefined;
                return (
                  <li key={`${entry.accountId}-${index}`} className={bad ? 'entry bad' : 'entry ok'}>
                    {bad ? (
                      <ErrorCircleIcon aria-hidden="true" className="entry-icon bad" />
                    ) : (
                      <CheckCircleIcon aria-hidden="true" className="entry-icon ok" />
                    )}
                    <code>{entry.accountId}</code>
                    <span>
                      {entry.problem
                        ? t(PROBLEM_TEXT[entry.problem], { limit })
                        : refused !== undefined
                          ? t(OUTCOME_TEXT[refused], { limit })
                          : t('share.ready')}
                    </span>
                  </li>
                );
              })}
            </ul>
          ) : null}
        </>
      ) : null}
      {results ? (
        <div role="status">
          <p>{t('share.resultIntro')}</p>
          <ul className="entry-list" aria-label={t('share.results')}>
            {results.results.map((r) => (
              <li key={r.accountId} className={r.outcome === 'shared' ? 'entry ok' : 'entry bad'}>
                <code>{r.accountId}</code>
                {groupName.has(r.accountId) ? <span>{groupName.get(r.accountId)}</span> : null}
                <Tag theme={r.outcome === 'shared' ? 'success' : 'danger'} variant="light">
                  {t(r.outcome === 'shared' ? 'share.outcome.sharedShort' : 'share.outcome.notShared')}
                </Tag>
                <span>{t(OUTCOME_TEXT[r.outcome], { limit: results.limit })}</span>
              </li>
            ))}
          </ul>
          <p className="places">
            {t('share.placesLeft', { left: Math.max(0, results.limit - results.used), limit: results.limit })}
          </p>
        </div>
      ) : null}
    </ActionDialog>
  );
}
