import { describe, expect, it } from 'vitest';
import { domainProblem, LAYER_DOMAINS, numericText, parseNumeric, parseNumericList, STEP_DOMAINS } from './numeric.js';

const val = (text: string, d = {}) => {
  const p = parseNumeric(text, d);
  return p.ok ? p.value : `error: ${p.error}`;
};

describe('parseNumeric (issue 15 items 1, 2)', () => {
  it('keeps what was typed: decimals, signs, exponents', () => {
    expect(val('0.05', LAYER_DOMAINS.momentum)).toBe(0.05);
    expect(val('0.01', LAYER_DOMAINS.momentum)).toBe(0.01);
    expect(val('0.9', LAYER_DOMAINS.momentum)).toBe(0.9);
    expect(val('-0.5', LAYER_DOMAINS.momentum)).toBe(-0.5);
    expect(val('-1', STEP_DOMAINS.mean)).toBe(-1);
    expect(val('1e-3', STEP_DOMAINS.lr)).toBe(0.001);
    expect(val('1e-5', LAYER_DOMAINS.eps)).toBe(1e-5);
    expect(val('+2.5E+1')).toBe(25);
    expect(val('.5')).toBe(0.5);
    expect(val('5.')).toBe(5);
    expect(val(' 7 ')).toBe(7);
    expect(val('1_000', { int: true })).toBe(1000);
  });

  it('None only where the option is nullable', () => {
    expect(val('None', LAYER_DOMAINS.momentum)).toBeNull();
    expect(val('None', LAYER_DOMAINS.eps)).toMatch(/cannot be None/);
    expect(val('none', LAYER_DOMAINS.momentum)).toMatch(/is not a number/);
  });

  it('half-typed and invalid text is an error, never a value', () => {
    for (const t of ['', '-', '.', '1e', '1e-', '0x10', '1,5', 'abc', '--1', 'Infinity', 'NaN', '1 2', '1__0'])
      expect(val(t, LAYER_DOMAINS.momentum), t).toMatch(/^error: /);
  });

  it("checks the option's domain with the host's text", () => {
    expect(val('-8', LAYER_DOMAINS.numFeatures)).toBe('error: value must be ≥ 1');
    expect(val('8.5', LAYER_DOMAINS.numFeatures)).toBe('error: value must be an integer');
    expect(val('1e300', STEP_DOMAINS.lr)).toBe('error: value must be ≤ 100');
    expect(val('-1e-5', LAYER_DOMAINS.eps)).toBe('error: value must be ≥ 0');
    expect(parseNumeric('x', {}, 'eps')).toEqual({ ok: false, error: 'eps: "x" is not a number' });
    expect(domainProblem(Infinity, {}, 'lr')).toBe('lr must be a finite number');
    expect(domainProblem(null, { nullable: true }, 'm')).toBeNull();
    expect(domainProblem(null, {}, 'm')).toBe('m must be a finite number');
  });

  it('lists: each item parsed, the bad one named', () => {
    expect(parseNumericList('64, 3, 8, 8', { int: true, min: 0 }, 'shape')).toEqual({ ok: true, value: [64, 3, 8, 8] });
    expect(parseNumericList('64, -3', { int: true, min: 0 }, 'shape')).toEqual({
      ok: false,
      error: 'shape[1] must be ≥ 0',
    });
    expect(parseNumericList('64,', { int: true }, 'shape').ok).toBe(false);
    expect(parseNumericList('', { int: true }, 'shards', { empty: true })).toEqual({ ok: true, value: [] });
    expect(parseNumericList('1,'.repeat(70) + '1', {}, 's').ok).toBe(false);
  });

  it('shows values as they round-trip', () => {
    expect(numericText(null)).toBe('None');
    expect(numericText(0.05)).toBe('0.05');
    expect(numericText(1e-5)).toBe('0.00001');
    expect(Number(numericText(1e-7))).toBe(1e-7);
  });
});
