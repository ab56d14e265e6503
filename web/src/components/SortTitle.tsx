// A column title that sorts the table on the server when pressed (a real button, so keyboards reach it).
import { ArrowDownIcon, ArrowUpIcon } from 'tdesign-icons-react';
import type { SortField, SortOrder } from '../api/types';
import { useI18n } from '../i18n';

export function SortTitle({
  field,
  label,
  sort,
  order,
  onSort,
}: {
  field: SortField;
  label: string;
  sort: SortField;
  order: SortOrder;
  onSort(field: SortField, order: SortOrder): void;
}) {
  const { t } = useI18n();
  const active = sort === field;
  const nextOrder: SortOrder = active && order === 'asc' ? 'desc' : 'asc';
  return (
    <button
      type="button"
      className={active ? 'sort-title active' : 'sort-title'}
      onClick={() => onSort(field, nextOrder)}
      aria-label={
        active
          ? t(order === 'asc' ? 'sort.activeAsc' : 'sort.activeDesc', { column: label })
          : t('sort.by', { column: label })
      }
    >
      {label}
      {active ? (
        order === 'asc' ? (
          <ArrowUpIcon aria-hidden="true" />
        ) : (
          <ArrowDownIcon aria-hidden="true" />
        )
      ) : null}
    </button>
  );
}
