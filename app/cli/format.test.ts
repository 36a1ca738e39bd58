// table() takes any number of rows: Math.max(...rows) overflowed the stack past ~125k (issue 17).
import { describe, expect, it } from 'vitest';
import { table } from './format.js';

describe('table', () => {
  it('lays out 300,000 rows with column widths from the widest cell', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [`key${i}`, String(i % 7)]);
    const out = table(['key', 'n'], rows).split('\n');
    expect(out).toHaveLength(300_002);
    expect(out[0]).toBe('key        n');
    expect(out[1]).toBe('---------  -');
    expect(out[300_001]).toBe('key299999  0');
  });
});
