import { describe, expect, it } from 'vitest';
import { exactAt } from '../charts/charts';
import { channelCsv } from './ChannelTable';

describe('exact per-channel values (issue 15: exact values)', () => {
  it('prints float32 values as PyTorch does (shortest text that reads back as the same float32)', () => {
    const f = new Float32Array([0.1, 1 / 3, -2.5e-8, NaN, Infinity]);
    expect([0, 1, 2, 3, 4].map((i) => exactAt(f, i))).toEqual(['0.1', '0.33333334', '-2.5e-8', 'nan', 'inf']);
    expect(exactAt([0.1 + 0.2], 0)).toBe('0.30000000000000004'); // float64 stays float64
    expect(exactAt([], 0)).toBe('—');
  });

  it('copies a CSV with a header, one line per channel, blanks where a series is shorter', () => {
    const csv = channelCsv([
      { label: 'weight', values: new Float32Array([1, 0.5]) },
      { label: 'running "var", 2', values: new Float32Array([0.25]) },
      { label: 'none', values: null },
    ]);
    expect(csv).toBe('channel,weight,"running ""var"", 2",none\n0,1,0.25,\n1,0.5,,\n');
  });
});
