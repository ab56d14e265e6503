// Log in with the account ID (what the seed's users know) or the account name, and the password.
import { useState, type FormEvent } from 'react';
import { Alert, Input } from 'tdesign-react';
import { Button } from '../components/Button';
import { api, ApiError } from '../api/client';
import { errorMessage } from '../api/errors';
import type { SessionInfo } from '../api/types';
import type { LoginNotice } from '../app/session';
import { Field } from '../components/Field';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useI18n } from '../i18n';

interface Props {
  notice: LoginNotice | null;
  loadError: ApiError | null;
  onLoggedIn(info: SessionInfo): void;
}

export function LoginPage({ notice, loadError, onLoggedIn }: Props) {
  const { t } = useI18n();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!login.trim() || !password) {
      setError(t('login.missing'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const info = await api<SessionInfo>('POST', '/session', {
        body: { login: login.trim(), password },
        sessionBound: false,
      });
      onLoggedIn(info);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401 ? t('login.wrongCredentials') : errorMessage(t, err),
      );
      setPassword('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login-page">
      <div className="login-top">
        <LanguageSwitch />
      </div>
      <section className="login-card" aria-labelledby="login-title">
        <div className="brand" aria-hidden="true">
          imageshare
        </div>
        <h1 id="login-title">{t('login.title')}</h1>
        <p className="muted">{t('login.subtitle')}</p>
        {notice ? <Alert theme="info" message={t(notice)} /> : null}
        {loadError ? <Alert theme="error" message={errorMessage(t, loadError)} /> : null}
        <form onSubmit={submit} noValidate>
          <Field label={t('login.account')}>
            <Input
              name="login"
              value={login}
              onChange={(v) => setLogin(String(v))}
              autocomplete="username"
              placeholder={t('login.accountPlaceholder')}
              size="large"
            />
          </Field>
          <Field label={t('login.password')}>
            <Input
              name="password"
              type="password"
              value={password}
              onChange={(v) => setPassword(String(v))}
              autocomplete="current-password"
              placeholder=""
              size="large"
            />
          </Field>
          {error ? (
            <div role="alert" className="form-error">
              {error}
            </div>
          ) : null}
          <Button type="submit" theme="primary" size="large" block loading={busy}>
            {t('login.submit')}
          </Button>
        </form>
      </section>
    </main>
  );
}
