// The frame around every page once logged in: navigation, the account menu (upper right, as in the seed's
// directions: the account name leads to Account information), language and logout.
import { lazy, Suspense, type MouseEvent, type ReactNode } from 'react';
import { Button } from '../components/Button';
import {
  HistoryIcon,
  ImageIcon,
  LogoutIcon,
  NotificationIcon,
  ServerIcon,
  UserCircleIcon,
  UsergroupIcon,
} from 'tdesign-icons-react';
import { useUnreadCount } from '../api/notifications';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useI18n, type MessageKey } from '../i18n';
import { FullPageLoading } from './App';
import { hrefFor, useRouter, type PageName } from './router';
import { useSession } from './session';

const ImagesPage = lazy(() => import('../pages/images/ImagesPage'));
const InstancesPage = lazy(() => import('../pages/InstancesPage'));
const HistoryPage = lazy(() => import('../pages/HistoryPage'));
const AccountPage = lazy(() => import('../pages/AccountPage'));
const GroupsPage = lazy(() => import('../pages/GroupsPage'));
const InboxPage = lazy(() => import('../pages/InboxPage'));

const NAV: { page: PageName; label: MessageKey; icon: ReactNode }[] = [
  { page: 'images', label: 'nav.images', icon: <ImageIcon /> },
  { page: 'instances', label: 'nav.instances', icon: <ServerIcon /> },
  { page: 'history', label: 'nav.history', icon: <HistoryIcon /> },
  { page: 'groups', label: 'nav.groups', icon: <UsergroupIcon /> },
  { page: 'inbox', label: 'nav.inbox', icon: <NotificationIcon /> },
  { page: 'account', label: 'nav.account', icon: <UserCircleIcon /> },
];

export function NavLink({
  page,
  params,
  children,
  className,
}: {
  page: PageName;
  params?: Record<string, string>;
  children: ReactNode;
  className?: string;
}) {
  const { navigate, page: current } = useRouter();
  const onClick = (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(page, params);
  };
  return (
    <a
      href={hrefFor(page, params)}
      onClick={onClick}
      className={className}
      aria-current={current === page && !params ? 'page' : undefined}
    >
      {children}
    </a>
  );
}

/** The unread count of the inbox on a bell in the header (issue 12), asked again every 30 s. */
function InboxBadge() {
  const { t } = useI18n();
  const unread = useUnreadCount().data?.unread ?? 0;
  return (
    <NavLink page="inbox" className="inbox-link">
      <NotificationIcon aria-hidden="true" />
      <span className="sr-only">{unread > 0 ? t('nav.inboxUnread', { count: unread }) : t('nav.inbox')}</span>
      {unread > 0 ? (
        <span className="badge" aria-hidden="true" data-testid="inbox-badge">
          {unread > 99 ? '99+' : unread}
        </span>
      ) : null}
    </NavLink>
  );
}

export default function Shell() {
  const { t } = useI18n();
  const { page } = useRouter();
  const { account, logout } = useSession();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <span className="brand">imageshare</span>
        <span className="topbar-sub">{t('app.console')}</span>
        <div className="topbar-right">
          <LanguageSwitch />
          <InboxBadge />
          <NavLink page="account" className="account-link">
            <UserCircleIcon aria-hidden="true" />
            <span className="account-name">{account.name}</span>
          </NavLink>
          <Button
            variant="text"
            icon={<LogoutIcon />}
            onClick={() => void logout()}
            aria-label={t('nav.logout')}
          >
            <span className="hide-on-phone">{t('nav.logout')}</span>
          </Button>
        </div>
      </header>
      <div className="body">
        <nav className="sidenav" aria-label={t('nav.main')}>
          {NAV.map((item) => (
            <NavLink key={item.page} page={item.page} className={page === item.page ? 'active' : undefined}>
              <span aria-hidden="true">{item.icon}</span>
              <span>{t(item.label)}</span>
            </NavLink>
          ))}
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Suspense fallback={<FullPageLoading />}>
            {page === 'images' ? <ImagesPage /> : null}
            {page === 'instances' ? <InstancesPage /> : null}
            {page === 'history' ? <HistoryPage /> : null}
            {page === 'account' ? <AccountPage /> : null}
            {page === 'groups' ? <GroupsPage /> : null}
            {page === 'inbox' ? <InboxPage /> : null}
          </Suspense>
        </main>
      </div>
    </div>
  );
}
