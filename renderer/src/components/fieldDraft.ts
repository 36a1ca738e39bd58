/**
 * The state of a typed field, kept apart from React so it can be tested: while a person edits, the
 * text they typed is the field's state (never re-rendered from a parsed number, so `0.`, `-` and `1e`
 * survive the keystroke that makes them); every change is parsed into a value (committed) or an error
 * (shown at the field, nothing committed); Escape restores the value the edit started from; Enter and
 * leaving the field end the edit when the text parses.
 */

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Draft<T> {
  /** The typed text while editing (or while it does not parse); null shows the committed value. */
  text: string | null;
  /** The value when the edit began (what Escape restores). */
  original: T | null;
  error: string | null;
}

export type DraftEvent = { type: 'type'; text: string } | { type: 'escape' } | { type: 'enter' } | { type: 'blur' };

export const IDLE: Draft<never> = { text: null, original: null, error: null };

/** The next draft, and the value to commit (`commit` absent: nothing to commit). */
export function draftStep<T>(
  d: Draft<T>,
  ev: DraftEvent,
  current: T,
  parse: (text: string) => ParseResult<T>,
  same: (a: T, b: T) => boolean = Object.is,
): { draft: Draft<T>; commit?: T } {
  switch (ev.type) {
    case 'type': {
      const original = d.text === null ? current : (d.original as T);
      const p = parse(ev.text);
      if (!p.ok) return { draft: { text: ev.text, original, error: p.error } };
      const draft = { text: ev.text, original, error: null };
      return same(p.value, current) ? { draft } : { draft, commit: p.value };
    }
    case 'escape': {
      if (d.text === null) return { draft: d };
      const original = d.original as T;
      return same(original, current) ? { draft: IDLE } : { draft: IDLE, commit: original };
    }
    case 'enter':
    case 'blur':
      // Text that does not parse stays, with its error, until it is fixed or Escape restores.
      return { draft: d.error ? d : IDLE };
  }
}
