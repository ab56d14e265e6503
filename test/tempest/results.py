#!/usr/bin/python3
"""Judge a Tempest run from its subunit stream (stdin) for test/tempest/run.sh.

  stestr last --subunit | results.py --skip-list skip-list.txt --listed listed.txt \
      --required ClassA --required ClassB ... [--out results.txt]

--listed is the output of `tempest run --list-tests` for the same regex *without* the skip list,
so tests the skip list kept from running can be reported with their reasons, and a required test
that never reported (a crashed class, a bad exclusion) counts as not passed.

Exit status 0 only when
  * no test failed unless the skip list names it, and
  * every listed test of every required class passed (a Tempest skip is not a pass), and
    each required class has at least one listed test.
The subunit parsing follows /work/shared/peers/glance/lib/subunit_results.py.
"""
import argparse
import re
import sys

import subunit
import testtools

STATUS = {'success': 'PASS', 'fail': 'FAIL', 'skip': 'SKIP',
          'xfail': 'XFAIL', 'uxsuccess': 'UXSUCCESS'}


def strip_tags(test_id):
    return re.sub(r'\[.*\]$', '', test_id.strip())


def class_of(test_id):
    """Class name of a test id, or of a 'setUpClass (module.Class)' fixture id."""
    m = re.match(r'^\w+ \((.*)\)$', test_id)
    if m:
        return m.group(1).split('.')[-1]
    parts = test_id.split('.')
    return parts[-2] if len(parts) >= 2 else ''


def read_skip_list(path):
    entries = []
    with open(path) as f:
        for line in f:
            regex, _, reason = line.strip().partition('#')
            regex = regex.strip()
            if regex:
                entries.append((re.compile(regex), reason.strip() or 'in skip list'))
    return entries


def skip_reason(entries, test_id):
    for regex, reason in entries:
        if regex.search(test_id):
            return reason
    return None


def read_results(stream):
    tests = []
    case = subunit.ByteStreamToStreamResult(stream, non_subunit_name='stdout')
    result = testtools.StreamToDict(tests.append)
    result.startTestRun()
    case.run(result)
    result.stopTestRun()
    rows = {}
    for t in tests:
        status = STATUS.get(t['status'])
        if status is None:  # 'exists', 'inprogress', ...
            continue
        tid = strip_tags(t['id'])
        note = ''
        detail = None
        if status == 'SKIP':
            detail = t['details'].get('reason')
        elif status in ('FAIL', 'UXSUCCESS'):
            detail = t['details'].get('traceback')
        if detail is not None:
            lines = [ln.strip() for ln in detail.as_text().strip().splitlines() if ln.strip()]
            if lines:
                note = lines[-1][:300]
        ts = t.get('timestamps') or [None, None]
        dur = '%.2fs' % (ts[1] - ts[0]).total_seconds() if ts[0] and ts[1] else ''
        rows[tid] = (status, dur, note)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--skip-list', required=True)
    ap.add_argument('--listed', required=True)
    ap.add_argument('--required', action='append', default=[])
    ap.add_argument('--out')
    args = ap.parse_args()

    skips = read_skip_list(args.skip_list)
    with open(args.listed) as f:
        listed = sorted({strip_tags(ln) for ln in f if ln.strip().startswith('tempest.')})
    rows = read_results(sys.stdin.buffer)

    counts = {}
    for status, _, _ in rows.values():
        counts[status] = counts.get(status, 0) + 1
    excluded = [(t, skip_reason(skips, t)) for t in listed
                if t not in rows and skip_reason(skips, t) is not None]
    missing = [t for t in listed if t not in rows and skip_reason(skips, t) is None]

    problems = []
    tolerated = []
    for tid, (status, _, note) in sorted(rows.items()):
        if status in ('FAIL', 'UXSUCCESS'):
            reason = skip_reason(skips, tid)
            if reason is None:
                problems.append('FAIL %s  # %s' % (tid, note))
            else:
                tolerated.append('%s  # skip list: %s' % (tid, reason))
    for tid in missing:
        problems.append('NO RESULT %s (listed by Tempest, never reported)' % tid)

    required_report = []
    for cls in args.required:
        tests = [t for t in listed if class_of(t) == cls]
        fixtures = [t for t in rows if t not in listed and class_of(t) == cls]
        passed = [t for t in tests if rows.get(t, ('',))[0] == 'PASS']
        bad = [t for t in tests if t not in passed] + \
              [t for t in fixtures if rows[t][0] != 'PASS']
        ok = bool(tests) and not bad
        required_report.append('  %-4s %-32s %d/%d passed' % (
            'ok' if ok else 'FAIL', cls, len(passed), len(tests)))
        if not tests:
            problems.append('REQUIRED class %s: no such tests listed' % cls)
        for t in bad:
            status, _, note = rows.get(t, ('NO RESULT', '', ''))
            # failures and missing results outside the skip list are listed already
            if status not in ('FAIL', 'UXSUCCESS', 'NO RESULT') or skip_reason(skips, t) is not None:
                problems.append('REQUIRED test did not pass: %s %s  # %s' % (status, t, note))

    lines = []
    lines.append('Tempest image v2 results: total=%d passed=%d failed=%d skipped=%d '
                 'excluded-by-skip-list=%d' % (
                     len(rows), counts.get('PASS', 0),
                     counts.get('FAIL', 0) + counts.get('UXSUCCESS', 0),
                     counts.get('SKIP', 0), len(excluded)))
    lines.append('')
    lines.append('Required classes:')
    lines.extend(required_report)
    skipped = [(t, note) for t, (s, _, note) in sorted(rows.items()) if s == 'SKIP']
    if skipped:
        lines.append('')
        lines.append('Skipped by Tempest (%d):' % len(skipped))
        lines.extend('  %s  # %s' % (t, note) for t, note in skipped)
    if excluded:
        lines.append('')
        lines.append('Not run, excluded by test/tempest/skip-list.txt (%d):' % len(excluded))
        lines.extend('  %s  # %s' % (t, r) for t, r in excluded)
    if tolerated:
        lines.append('')
        lines.append('Failed but tolerated by the skip list (%d):' % len(tolerated))
        lines.extend('  ' + t for t in tolerated)
    lines.append('')
    if problems:
        lines.append('FAILURES (%d):' % len(problems))
        lines.extend('  ' + p for p in problems)
        lines.append('')
        lines.append('RESULT: FAIL')
    else:
        lines.append('RESULT: PASS')
    text = '\n'.join(lines) + '\n'
    sys.stdout.write(text)

    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
            f.write('\nAll results:\n')
            for tid, (status, dur, note) in sorted(rows.items()):
                f.write('%-9s %s  [%s]%s\n' % (status, tid, dur, '  # ' + note if note else ''))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
