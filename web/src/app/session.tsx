// The logged-in account, shared by every page; logging out or losing the session returns to the login page.
import { createContext, useContext } from 'react';
import type { Account } from '../api/types';

/** What the login page says when the console comes back to it without the user logging out. */
export type LoginNotice = 'login.passwordChanged' | 'login.sessionEnded' | 'login.sessionExpired';

export interface SessionValue {
  account: Account;
  logout(): Promise<void>;
  /** After a password change: the server revoked every session, so the console goes back to login. */
  endSession(noticeKey: LoginNotice): void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionContext');
  return value;
}
