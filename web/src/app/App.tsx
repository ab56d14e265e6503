import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from '@tanstack/react-query';
import { ConfigProvider, Loading } from 'tdesign-react';
import enConfig from 'tdesign-react/es/locale/en_US';
import zhConfig from 'tdesign-react/es/locale/zh_CN';
import { api, ApiError, isSessionExpired, setCsrfToken, setUnauthenticatedHandler } from '../api/client';
import type { SessionInfo } from '../api/types';
import { I18nProvider, useI18n } from '../i18n';
import { LoginPage } from '../pages/LoginPage';
import { RouterProvider } from './router';
import { SessionContext, type LoginNotice, type SessionValue } from './session';

// Everything behind the login is loaded only after logging in: the first page stays small.
const Shell = lazy(() => import('./Shell'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // A 4xx will not go away by asking again; a network blip may.
      retry: (count, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: true,
    },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <LocalizedConfig>
          <RouterProvider>
            <SessionGate />
          </RouterProvider>
        </LocalizedConfig>
      </I18nProvider>
    </QueryClientProvider>
  );
}

function LocalizedConfig({ children }: { children: ReactNode }) {
  const { locale } = useI18n();
  return <ConfigProvider globalConfig={locale === 'zh-CN' ? zhConfig : enConfig}>{children}</ConfigProvider>;
}

export function FullPageLoading() {
  const { t } = useI18n();
  return (
    <div className="full-page-center" role="status">
      <Loading text={t('common.loading')} />
    </div>
  );
}

/** Back to the login page: the session query (observed by the gate) becomes empty, every other cached answer goes. */
function forgetAccountData(client: QueryClient): void {
  client.setQueryData(['session'], null);
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'session' });
}

/** The library's tables scroll sideways in a <div>; keyboards can scroll it only when it takes focus. */
function useFocusableScrollRegions(): void {
  useEffect(() => {
    const mark = () => {
      for (const el of document.querySelectorAll('.t-table__content:not([tabindex])'))
        el.setAttribute('tabindex', '0');
    };
    mark();
    const observer = new MutationObserver(mark);
    observer.observe(document.body, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);
}

function SessionGate() {
  useFocusableScrollRegions();
  const client = useQueryClient();
  const [notice, setNotice] = useState<LoginNotice | null>(null);
  const session = useQuery({
    queryKey: ['session'],
    queryFn: () => api<SessionInfo>('GET', '/session', { sessionBound: false }),
    retry: false,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });

  const endSession = useCallback(
    (noticeKey: LoginNotice) => {
      setCsrfToken('');
      setNotice(noticeKey);
      forgetAccountData(client);
    },
    [client],
  );

  useEffect(() => {
    setUnauthenticatedHandler((error) => {
      if (client.getQueryData(['session']))
        endSession(isSessionExpired(error) ? 'login.sessionExpired' : 'login.sessionEnded');
    });
  }, [client, endSession]);

  const data = session.data;
  if (data) setCsrfToken(data.csrfToken);

  const value = useMemo<SessionValue | null>(
    () =>
      data
        ? {
            account: data.account,
            logout: async () => {
              try {
                await api('DELETE', '/session', { sessionBound: false });
              } finally {
                setCsrfToken('');
                setNotice(null);
                forgetAccountData(client);
              }
            },
            endSession,
          }
        : null,
    [data, client, endSession],
  );

  if (session.isPending) return <FullPageLoading />;
  if (!value) {
    return (
      <LoginPage
        // Opened again after the session ran out (a reload, a new tab): say so, as after a call that found out.
        notice={notice ?? (isSessionExpired(session.error) ? 'login.sessionExpired' : null)}
        loadError={session.error instanceof ApiError && session.error.status !== 401 ? session.error : null}
        onLoggedIn={(info) => {
          setCsrfToken(info.csrfToken);
          setNotice(null);
          client.setQueryData(['session'], info);
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={value}>
      <Suspense fallback={<FullPageLoading />}>
        <Shell />
      </Suspense>
    </SessionContext.Provider>
  );
}
