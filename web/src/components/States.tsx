// Loading, empty and error states, the same on every page.
import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { Loading } from 'tdesign-react';
import { Button } from './Button';
import { ErrorCircleIcon } from 'tdesign-icons-react';
import { errorMessage } from '../api/errors';
import { useI18n } from '../i18n';

export function LoadingState() {
  const { t } = useI18n();
  return (
    <div className="state" role="status">
      <Loading size="small" text={t('common.loading')} />
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="state state-error" role="alert">
      <ErrorCircleIcon aria-hidden="true" size="24px" />
      <p>{errorMessage(t, error)}</p>
      {onRetry ? (
        <Button variant="outline" onClick={onRetry}>
          {t('common.retry')}
        </Button>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

/**
 * What every list of the console shows for its query: the error with a retry, the loading state, or what
 * `children` makes of the data once it is there.
 */
export function QueryState<T>({
  query,
  children,
}: {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
}) {
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (query.isPending) return <LoadingState />;
  return <>{children(query.data)}</>;
}
