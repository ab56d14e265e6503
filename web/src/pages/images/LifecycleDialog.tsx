// The owner's lifecycle controls for one image (issue 12): deletion protection, disabling (every share
// suspended, the shares kept) and deprecation (a replacement image and a date after which new launches are
// refused). Each control is one call; the dialog shows the image as the service answered.
import { useState } from 'react';
import { Input } from 'tdesign-react';
import { api } from '../../api/client';
import { keys } from '../../api/queries';
import type { ImageView } from '../../api/types';
import { useChange } from '../../app/useChange';
import { ActionDialog } from '../../components/ActionDialog';
import { Button } from '../../components/Button';
import { Field } from '../../components/Field';
import { formatTime } from '../../components/format';
import { LifecycleTags } from '../../components/Tags';
import { useI18n, type MessageKey } from '../../i18n';

/** An ISO instant as a datetime-local value in the browser's zone ("2027-01-31T18:00"). */
function localInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

type LifecycleCall = 'deprecate' | 'undeprecate' | 'disable' | 'enable' | 'protect' | 'unprotect';

const DONE: Record<LifecycleCall, MessageKey> = {
  deprecate: 'lifecycle.deprecateDone',
  undeprecate: 'lifecycle.undeprecateDone',
  disable: 'lifecycle.disableDone',
  enable: 'lifecycle.enableDone',
  protect: 'lifecycle.protectDone',
  unprotect: 'lifecycle.unprotectDone',
};

export function LifecycleDialog({ image: initial, onClose }: { image: ImageView; onClose(): void }) {
  const { t, locale } = useI18n();
  const [image, setImage] = useState(initial);
  const [replacement, setReplacement] = useState(initial.replacementImageId ?? '');
  const [obsoleteAt, setObsoleteAt] = useState(localInput(initial.obsoleteAt));
  const path = `/images/${encodeURIComponent(image.id)}`;
  const lifecycle = useChange({
    run: (input: LifecycleCall) => {
      if (input === 'deprecate') {
        return api<ImageView>('POST', `${path}/deprecate`, {
          body: {
            replacementImageId: replacement.trim() || null,
            obsoleteAt: obsoleteAt ? new Date(obsoleteAt).toISOString() : null,
          },
        });
      }
      if (input === 'protect' || input === 'unprotect') {
        return api<ImageView>('PATCH', path, { body: { protected: input === 'protect' } });
      }
      return api<ImageView>('POST', `${path}/${input}`);
    },
    touches: [keys.images, keys.history],
    doneMessage: (_result, input) => t(DONE[input]),
    onDone: (result) => setImage(result),
  });
  const busy = lifecycle.isPending;

  return (
    <ActionDialog
      width={620}
      title={t('lifecycle.title', { name: image.name || image.id })}
      onClose={onClose}
      dismiss={{ label: t('common.close'), onClick: onClose }}
      extra={
        image.deprecatedAt ? (
          <Button variant="outline" disabled={busy} onClick={() => lifecycle.mutate('undeprecate')}>
            {t('lifecycle.undeprecate')}
          </Button>
        ) : null
      }
      action={{
        label: t(image.deprecatedAt ? 'lifecycle.saveDeprecation' : 'lifecycle.deprecate'),
        loading: busy,
        onClick: () => lifecycle.mutate('deprecate'),
      }}
      error={lifecycle.error}
    >
      <LifecycleTags image={image} locale={locale} />
      <section className="lifecycle-section" aria-labelledby="lifecycle-protection">
        <h3 id="lifecycle-protection">{t('lifecycle.protection')}</h3>
        <p className="muted">{t(image.protected ? 'lifecycle.protectionOn' : 'lifecycle.protectionOff')}</p>
        <Button
          variant="outline"
          disabled={busy}
          onClick={() => lifecycle.mutate(image.protected ? 'unprotect' : 'protect')}
        >
          {t(image.protected ? 'lifecycle.unprotect' : 'lifecycle.protect')}
        </Button>
      </section>
      <section className="lifecycle-section" aria-labelledby="lifecycle-disable">
        <h3 id="lifecycle-disable">{t('lifecycle.disabling')}</h3>
        <p className="muted">{t(image.disabled ? 'lifecycle.disabledOn' : 'lifecycle.disabledOff')}</p>
        <Button
          variant="outline"
          theme={image.disabled ? 'primary' : 'danger'}
          disabled={busy}
          onClick={() => lifecycle.mutate(image.disabled ? 'enable' : 'disable')}
        >
          {t(image.disabled ? 'lifecycle.enable' : 'lifecycle.disable')}
        </Button>
      </section>
      <section className="lifecycle-section" aria-labelledby="lifecycle-deprecation">
        <h3 id="lifecycle-deprecation">{t('lifecycle.deprecation')}</h3>
        <p className="muted">{t('lifecycle.deprecationExplain')}</p>
        {image.deprecatedAt ? (
          <p>{t('lifecycle.deprecatedSince', { time: formatTime(image.deprecatedAt, locale) })}</p>
        ) : null}
        <Field label={t('lifecycle.replacement')}>
          <Input
            value={replacement}
            onChange={(v) => setReplacement(String(v))}
            placeholder={t('lifecycle.replacementPlaceholder')}
            maxlength={12}
          />
        </Field>
        <label className="field">
          <span className="field-label">{t('lifecycle.obsoleteField')}</span>
          <input
            type="datetime-local"
            className="native-input"
            value={obsoleteAt}
            onChange={(e) => setObsoleteAt(e.target.value)}
          />
        </label>
      </section>
    </ActionDialog>
  );
}
