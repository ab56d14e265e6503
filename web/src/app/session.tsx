// The logged-in account, shared by every page; logging out or losing the session returns to the login page.
import { createContext, useContext } from 'react';
import type { Account } from '../api/types';

export interface SessionValue {
  account: Account;
  logout(): Promise<void>;
  /** After a password change: the server revoked every session, so the console goes back to login. */
  endSession(noticeKey: 'login.passwordChanged' | 'login.sessionEnded'): void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionContext');
  return value;
}
