// Reads the marked parts of the project's Markdown documentation, so tests can run and check what the docs
// show. A marker is an HTML comment on the line before a fenced block or a table (invisible when rendered):
//
//   <!-- docs-example: tencent-legacy.mjs -->   a script, saved under that name and run by the test
//   <!-- docs-run: owner -->                    commands to run, one a line, with the named key
//   <!-- docs-response: DescribeImages -->      the answer shown to readers (checked against the real one)
//   <!-- docs-table: domainToTencent -->        a table the test compares with the code
import { readFileSync } from 'node:fs';

export interface MarkedBlock {
  kind: string;
  name: string;
  /** The fenced block's text, or a table's lines, without the marker and fences. */
  text: string;
  /** 1-based line of the marker, for failure messages. */
  line: number;
}

const MARKER = /^<!-- (docs-[a-z]+): (\S+) -->$/;

/** Every marked fenced block or table of a Markdown file, in order. */
export function markedBlocks(path: string): MarkedBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: MarkedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = MARKER.exec(lines[i] as string);
    if (!match) continue;
    const [, kind, name] = match as unknown as [string, string, string];
    const next = lines[i + 1] ?? '';
    const body: string[] = [];
    if (next.startsWith('```')) {
      let j = i + 2;
      while (j < lines.length && !(lines[j] as string).startsWith('```')) body.push(lines[j++] as string);
      if (j === lines.length) throw new Error(`${path}:${i + 1}: unterminated block after ${kind} ${name}`);
    } else if (next.startsWith('|')) {
      for (let j = i + 1; j < lines.length && (lines[j] as string).startsWith('|'); j++)
        body.push(lines[j] as string);
    } else {
      throw new Error(`${path}:${i + 1}: ${kind} ${name} is not followed by a fenced block or a table`);
    }
    blocks.push({ kind, name, text: body.join('\n'), line: i + 1 });
  }
  return blocks;
}

/** The cells of a Markdown table's body rows (header and separator dropped), backticks removed. */
export function tableRows(table: string): string[][] {
  return table
    .split('\n')
    .slice(2)
    .map((row) =>
      row
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim().replace(/`/g, '')),
    );
}

/** The text of a Markdown section: from its heading to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l === heading);
  if (start < 0) return '';
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  let end = start + 1;
  while (end < lines.length) {
    const h = /^(#+) /.exec(lines[end] as string);
    if (h && (h[1] as string).length <= level) break;
    end++;
  }
  return lines.slice(start, end).join('\n');
}

/** The names of every heading at a level, e.g. `####` under a section. */
export function headings(markdown: string, level: number): string[] {
  const prefix = `${'#'.repeat(level)} `;
  return markdown
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length).trim());
}

/**
 * The shape of a JSON value, for comparing a documented answer with a real one: object keys and value types,
 * arrays by their first element; the values themselves (IDs, times) are left out.
 */
export function jsonShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [jsonShape(value[0])];
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = jsonShape((value as Record<string, unknown>)[key]);
    return out;
  }
  return typeof value;
}
