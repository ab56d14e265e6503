// An ID shown in a monospace font with a copy button: IDs are what people send each other to share images.
import { MessagePlugin } from 'tdesign-react';
import { Button } from './Button';
import { CopyIcon } from 'tdesign-icons-react';
import { useI18n } from '../i18n';

async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall through to the selection-based copy (plain-http consoles have no clipboard API).
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok;
}

export function CopyableId({ id, label, large }: { id: string; label?: string; large?: boolean }) {
  const { t } = useI18n();
  return (
    <span className={large ? 'copyable copyable-large' : 'copyable'}>
      <code className="id">{id}</code>
      <Button
        variant="text"
        shape={large ? 'rectangle' : 'square'}
        size={large ? 'medium' : 'small'}
        icon={<CopyIcon />}
        aria-label={label ?? t('common.copyId', { id })}
        title={t('common.copy')}
        onClick={async () => {
          if (await copyText(id)) void MessagePlugin.success(t('common.copied'));
          else void MessagePlugin.error(t('common.copyFailed'));
        }}
      >
        {large ? t('common.copy') : null}
      </Button>
    </span>
  );
}
