// A very small router over the History API: the console has six pages, which a path names
// (/console/images, /console/instances, /console/history, /console/account, /console/inbox). Query parameters hold a page's
// own state (tab, region, page, search) so that a link or a reload shows the same view.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

const BASE = '/console';

export type PageName = 'images' | 'instances' | 'history' | 'account' | 'groups' | 'inbox';
const PAGES: PageName[] = ['images', 'instances', 'history', 'account', 'groups', 'inbox'];

interface Location {
  page: PageName;
  params: URLSearchParams;
}

interface RouterValue extends Location {
  navigate(page: PageName, params?: Record<string, string>): void;
  /** Replaces some query parameters of the current page (no new history entry). */
  setParams(changes: Record<string, string | undefined>): void;
}

function readLocation(): Location {
  const rest = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '';
  const first = rest.split('/').filter(Boolean)[0] ?? '';
  const page = (PAGES as string[]).includes(first) ? (first as PageName) : 'images';
  return { page, params: new URLSearchParams(window.location.search) };
}

export function hrefFor(page: PageName, params: Record<string, string> = {}): string {
  const search = new URLSearchParams(params).toString();
  return `${BASE}/${page}${search ? `?${search}` : ''}`;
}

const RouterContext = createContext<RouterValue | null>(null);

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(readLocation);
  useEffect(() => {
    const onPop = () => setLocation(readLocation());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((page: PageName, params: Record<string, string> = {}) => {
    window.history.pushState(null, '', hrefFor(page, params));
    setLocation(readLocation());
    window.scrollTo(0, 0);
  }, []);
  const setParams = useCallback((changes: Record<string, string | undefined>) => {
    const params = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || value === '') params.delete(key);
      else params.set(key, value);
    }
    const search = params.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${search ? `?${search}` : ''}`);
    setLocation(readLocation());
  }, []);
  const value = useMemo(() => ({ ...location, navigate, setParams }), [location, navigate, setParams]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  const value = useContext(RouterContext);
  if (!value) throw new Error('useRouter outside RouterProvider');
  return value;
}
