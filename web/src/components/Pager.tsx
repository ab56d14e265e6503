// Server-side paging: previous / next buttons, the position in words and the page size.
import { Select } from 'tdesign-react';
import { Button } from './Button';
import { ChevronLeftIcon, ChevronRightIcon } from 'tdesign-icons-react';
import { useI18n } from '../i18n';

export const PAGE_SIZES = [10, 20, 50, 100];

export function Pager({
  page,
  pageSize,
  total,
  onChange,
}: {
  page: number;
  pageSize: number;
  total: number;
  onChange(page: number, pageSize: number): void;
}) {
  const { t } = useI18n();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav className="pager" aria-label={t('pager.label')}>
      <span className="pager-range" aria-live="polite">
        {t('pager.range', { first, last, total })}
      </span>
      <div className="pager-controls">
        <label className="pager-size">
          <span className="sr-only">{t('pager.pageSize')}</span>
          <Select
            value={pageSize}
            onChange={(value) => onChange(1, Number(value))}
            options={PAGE_SIZES.map((size) => ({ value: size, label: t('pager.perPage', { size }) }))}
            style={{ width: 120 }}
            size="small"
          />
        </label>
        <Button
          variant="outline"
          size="small"
          shape="square"
          icon={<ChevronLeftIcon />}
          aria-label={t('pager.previous')}
          disabled={page <= 1}
          onClick={() => onChange(page - 1, pageSize)}
        />
        <span className="pager-page">{t('pager.page', { page, pages })}</span>
        <Button
          variant="outline"
          size="small"
          shape="square"
          icon={<ChevronRightIcon />}
          aria-label={t('pager.next')}
          disabled={page >= pages}
          onClick={() => onChange(page + 1, pageSize)}
        />
      </div>
    </nav>
  );
}
