import { describe, expect, it } from 'vitest';
import { LAYER_DOMAINS, parseNumeric, STEP_DOMAINS, type NumericDomain } from '../../../app/shared/numeric';
import { draftStep, IDLE, type Draft, type DraftEvent } from './fieldDraft';

/** Types `text` one key at a time (as a keyboard does) into a field showing `start`; returns what was committed. */
function typeKeys(start: number | null, text: string, domain: NumericDomain, selectAll = true) {
  const parse = (t: string) => parseNumeric(t, domain);
  let value = start;
  let d: Draft<number | null> = IDLE;
  let shown = selectAll ? '' : String(start);
  const commits: Array<number | null> = [];
  const apply = (ev: DraftEvent) => {
    const r = draftStep(d, ev, value, parse);
    d = r.draft;
    if ('commit' in r) {
      value = r.commit!;
      commits.push(value);
    }
  };
  if (selectAll) apply({ type: 'type', text: '' }); // Ctrl+A then the first key replaces everything
  for (const ch of text) {
    shown += ch;
    apply({ type: 'type', text: shown });
  }
  return {
    get value() {
      return value;
    },
    get draft() {
      return d;
    },
    commits,
    apply,
    get: () => value,
  };
}

describe('field drafts (issue 15 items 1, 2)', () => {
  it('momentum typed as 0.05 arrives as 0.05, not 5', () => {
    for (const [typed, want] of [
      ['0.05', 0.05],
      ['0.01', 0.01],
      ['0.9', 0.9],
      ['-0.5', -0.5],
    ] as const) {
      const r = typeKeys(0.1, typed, LAYER_DOMAINS.momentum);
      expect(r.value, typed).toBe(want);
      expect(r.draft.text).toBe(typed);
    }
  });

  it('signs, decimals and exponents survive the half-typed keystrokes', () => {
    expect(typeKeys(0, '-1', STEP_DOMAINS.mean).value).toBe(-1);
    expect(typeKeys(0.05, '1e-3', STEP_DOMAINS.lr).value).toBe(0.001);
    expect(typeKeys(1e-5, '1e-5', LAYER_DOMAINS.eps).value).toBe(1e-5);
    const r = typeKeys(0.05, '1e-', STEP_DOMAINS.lr);
    expect(r.draft.text).toBe('1e-');
    expect(r.draft.error).toMatch(/not a number/);
  });

  it('invalid text never commits; the field shows its error and keeps the text', () => {
    const r = typeKeys(32, '-8', LAYER_DOMAINS.numFeatures);
    expect(r.value).toBe(32); // '-' and '-8' are errors: nothing reached the spec
    expect(r.draft).toMatchObject({ text: '-8', error: 'value must be ≥ 1' });
    r.apply({ type: 'blur' });
    expect(r.draft.text).toBe('-8');
  });

  it('cleared field: an error, the old value stays committed', () => {
    const r = typeKeys(32, '', LAYER_DOMAINS.numFeatures);
    expect(r.draft).toMatchObject({ text: '', error: 'value: type a number' });
    expect(r.commits).toEqual([]);
  });

  it('None where nullable', () => {
    expect(typeKeys(0.1, 'None', LAYER_DOMAINS.momentum).value).toBeNull();
  });

  it('Escape restores the value the edit started from; Enter ends the edit', () => {
    const r = typeKeys(0.1, '0.3', LAYER_DOMAINS.momentum);
    expect(r.get()).toBe(0.3);
    r.apply({ type: 'escape' });
    expect(r.get()).toBe(0.1);
    const e = typeKeys(0.1, '0.25', LAYER_DOMAINS.momentum);
    e.apply({ type: 'enter' });
    expect(e.draft).toEqual(IDLE);
    expect(e.get()).toBe(0.25);
  });
});
