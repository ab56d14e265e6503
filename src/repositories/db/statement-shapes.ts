// Compiled SQL per statement shape. Building a list statement through Kysely's builder costs more CPU than
// running it on SQLite (bench/RESULTS.md, "Issue 10, third pass"), yet the statement's text depends only on
// its shape (which branches, sort keys, which filters are present, how many values each has, the dialect);
// the request's values only fill its parameters. So each shape is built once and kept as SQL text plus a
// recipe for its parameters, and a later request of the same shape only binds its values.
//
// How a shape is learnt, without a second description of the SQL that could drift from the builder: the
// caller describes its inputs as a template in which every value (an ID, a name, a time, a limit) is a
// sentinel string naming its slot ("filters.ids.2"), and everything else (booleans, sort keys, list lengths,
// the list mode) stays as it is. The template with empty sentinels is the cache key, so two inputs share a
// statement only when they differ in slot values alone. On a miss the real builder runs twice, on two
// templates whose sentinels differ; the shape is kept only when both give the same SQL text and every
// parameter is either the same constant in both or the same slot's sentinel in both. A value that the
// builder transforms (a LIKE pattern made from a name), inlines into the text, or computes with, fails that
// check: such a shape is remembered as not cacheable and always built from the real values, as before.
//
// What the check cannot see is the builder deciding on a value in JavaScript (`if (a === b)`): the templaters
// keep every input that the builders branch on out of the slots (see image.repository.ts), and the tests of
// test/db/list-shapes.test.ts run alternating shapes against the same rows.
import { CompiledQuery, type Compilable } from 'kysely';

/** Marks a sentinel: never part of a real value the service stores (IDs, names, times are validated text). */
const MARK = '\u0001';

export function sentinel(ns: string, slot: string): string {
  return `${MARK}${ns}${slot}${MARK}`;
}

/** Inputs with sentinels in place of values, and each slot's real value. */
export interface Template<I> {
  inputs: I;
  values: Map<string, unknown>;
}

/** The templater of one kind of statement: `ns` prefixes every sentinel it writes. */
export type Templater<I> = (ns: string) => Template<I>;

/** What a builder gives: compiled statements and shape-only facts about them (e.g. each branch's relation). */
export interface Built<M> {
  statements: CompiledQuery[];
  meta: M;
}

type Param = { slot: string } | { constant: unknown };

interface Shape<M> {
  statements: Array<{ sql: string; params: Param[] }>;
  meta: M;
}

const NS_A = 'a:';
const NS_B = 'b:';

export class StatementShapes {
  private readonly shapes = new Map<string, Shape<unknown> | null>();
  /** Counters for tests and the benchmark: how often a shape was reused, learnt, or refused. */
  readonly stats = { hits: 0, learnt: 0, uncacheable: 0 };

  constructor(private readonly maxShapes = 500) {}

  get size(): number {
    return this.shapes.size;
  }

  /**
   * The statements `build` makes from the real inputs (`template('')` with the sentinels replaced by
   * `values`), compiled once per shape. `kind` separates builders whose templates could look alike.
   */
  statements<I, M>(kind: string, template: Templater<I>, real: I, build: (inputs: I) => Built<M>): Built<M> {
    const plain = template('');
    const key = `${kind}\n${JSON.stringify(plain.inputs)}`;
    let shape = this.shapes.get(key) as Shape<M> | null | undefined;
    if (shape === undefined) {
      shape = learn(template, build);
      if (shape) this.stats.learnt++;
      else this.stats.uncacheable++;
      // Oldest first out: a Map iterates in insertion order.
      if (this.shapes.size >= this.maxShapes) this.shapes.delete(this.shapes.keys().next().value as string);
      this.shapes.set(key, shape);
    }
    if (shape === null) return build(real);
    this.stats.hits++;
    const values = plain.values;
    return {
      meta: shape.meta,
      statements: shape.statements.map((s) =>
        CompiledQuery.raw(
          s.sql,
          s.params.map((p) => ('slot' in p ? values.get(p.slot) : p.constant)),
        ),
      ),
    };
  }

  clear(): void {
    this.shapes.clear();
  }
}

/** Builds the two sentinel templates and derives the shape, or null when the statement is not cacheable. */
function learn<I, M>(template: Templater<I>, build: (inputs: I) => Built<M>): Shape<M> | null {
  const a = build(template(NS_A).inputs);
  const b = build(template(NS_B).inputs);
  if (a.statements.length !== b.statements.length) return null;
  const statements: Shape<M>['statements'] = [];
  for (let i = 0; i < a.statements.length; i++) {
    const sa = a.statements[i] as CompiledQuery;
    const sb = b.statements[i] as CompiledQuery;
    if (sa.sql !== sb.sql || sa.sql.includes(MARK)) return null;
    if (sa.parameters.length !== sb.parameters.length) return null;
    const params: Param[] = [];
    for (let j = 0; j < sa.parameters.length; j++) {
      const pa = sa.parameters[j];
      const pb = sb.parameters[j];
      const slot = slotOf(pa, NS_A);
      if (slot !== undefined) {
        if (pb !== sentinel(NS_B, slot)) return null;
        params.push({ slot });
      } else if (typeof pa === 'string' && pa.includes(MARK)) {
        return null; // a value transformed on its way into the statement
      } else if (pa === pb && (pa === null || typeof pa !== 'object')) {
        params.push({ constant: pa });
      } else {
        return null;
      }
    }
    statements.push({ sql: sa.sql, params });
  }
  return { statements, meta: a.meta };
}

function slotOf(param: unknown, ns: string): string | undefined {
  if (typeof param !== 'string') return undefined;
  const start = `${MARK}${ns}`;
  if (!param.startsWith(start) || !param.endsWith(MARK) || param.length <= start.length + 1) return undefined;
  const slot = param.slice(start.length, -1);
  return slot.includes(MARK) ? undefined : slot;
}

/**
 * A small helper for templaters: `bind(slot, value)` gives the sentinel of `slot` and records `value` as what
 * it stands for.
 */
export function slotBinder(ns: string): {
  values: Map<string, unknown>;
  bind: <T>(slot: string, value: T) => T;
} {
  const values = new Map<string, unknown>();
  return {
    values,
    bind: <T>(slot: string, value: T): T => {
      values.set(slot, value);
      return sentinel(ns, slot) as unknown as T;
    },
  };
}

/**
 * The compiled statements of fixed shape (a row's insert, a read by key) that every share, history entry
 * and event makes: building them through Kysely was about a tenth of an add-member request's CPU
 * (bench/RESULTS.md, "Issue 10, sixth pass"). One cache for the process: `kind` names the statement and
 * its dialect, so no two builders share a key.
 */
export const fixedShapes = new StatementShapes(300);

/**
 * The statement `build` makes from `values`, compiled once per `kind` and shape of `values`: every string in
 * `values` (alone, or in an array of strings) is a slot; anything else (null, a number, a boolean, how many
 * strings an array holds) is part of the shape, so `build` may branch on it. `build` must not branch on a
 * string's content: learning checks that two different strings give the same statement text, and a builder
 * that transforms or inlines a string gives an uncacheable shape (built from the real values every time).
 */
export function fixedStatement<V extends Record<string, unknown>>(
  kind: string,
  values: V,
  build: (values: V) => Compilable,
): CompiledQuery {
  const template: Templater<V> = (ns) => {
    const { values: slots, bind } = slotBinder(ns);
    const inputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === 'string') inputs[key] = bind(key, value);
      else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
        inputs[key] = value.map((v: string, i) => bind(`${key}.${i}`, v));
      } else inputs[key] = value;
    }
    return { inputs: inputs as V, values: slots };
  };
  const { statements } = fixedShapes.statements(kind, template, values, (inputs) => ({
    statements: [build(inputs).compile()],
    meta: null,
  }));
  return statements[0] as CompiledQuery;
}
