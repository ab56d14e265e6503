import { Button } from './Button';
import { TranslateIcon } from 'tdesign-icons-react';
import { useI18n } from '../i18n';

/** Switches between English and Simplified Chinese; labelled in the language it switches to. */
export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  const next = locale === 'en' ? 'zh-CN' : 'en';
  return (
    <Button
      variant="text"
      icon={<TranslateIcon />}
      lang={next}
      title={t('language.switchTo')}
      onClick={() => setLocale(next)}
    >
      <span className="lang-label">{next === 'zh-CN' ? '简体中文' : 'English'}</span>
    </Button>
  );
}
