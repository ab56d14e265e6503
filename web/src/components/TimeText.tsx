// A time in a table cell: the date and the time of day each stay whole, so a narrow column breaks between them
// ("27 Nov 2026" / "09:18") rather than after every word.
import { formatDate, formatTimeOfDay } from './format';
import type { Locale } from '../i18n';

export function TimeText({ iso, locale }: { iso: string | null | undefined; locale: Locale }) {
  const date = formatDate(iso, locale);
  const time = formatTimeOfDay(iso, locale);
  if (!date || !time) return <>{iso || '—'}</>;
  return (
    <span className="time-text">
      <span>{date}</span> <span>{time}</span>
    </span>
  );
}
