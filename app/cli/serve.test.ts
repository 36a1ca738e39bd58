import { describe, expect, it } from 'vitest';
import { filesNotice, parseServeArgs } from './serve.js';

describe('normscope serve arguments', () => {
  it('defaults: random port, no root, the default budgets', () => {
    expect(parseServeArgs([])).toMatchObject({
      port: 0,
      root: null,
      limits: { maxConnections: 64, maxMessageBytes: 16 * 2 ** 20, maxInFlight: 32 },
      stack: { maxParameters: 50_000_000, maxActivationBytes: 2 ** 30 },
    });
  });

  it('takes --root and every limit flag, with = or a separate value', () => {
    const a = parseServeArgs([
      '--port=8765',
      '--root',
      '/data/runs',
      '--max-connections',
      '8',
      '--max-message-mib=2',
      '--max-in-flight',
      '4',
      '--max-parameters=1000',
      '--max-activation-mib',
      '64',
      '--max-upload-mib=3',
    ]);
    expect(a).toMatchObject({
      port: 8765,
      root: '/data/runs',
      limits: { maxConnections: 8, maxMessageBytes: 2 * 2 ** 20, maxInFlight: 4, maxUploadBytes: 3 * 2 ** 20 },
      stack: { maxParameters: 1000, maxActivationBytes: 64 * 2 ** 20 },
    });
  });

  it('refuses malformed values naming the flag and its range', () => {
    expect(parseServeArgs(['--port', '70000'])).toEqual({ error: '--port must be an integer 0–65535 (got "70000")' });
    expect(parseServeArgs(['--max-connections', '0'])).toEqual({
      error: '--max-connections must be an integer 1–100000 (got "0")',
    });
    expect(parseServeArgs(['--max-parameters'])).toMatchObject({
      error: expect.stringMatching(/^--max-parameters needs a value/),
    });
    expect(parseServeArgs(['--max-in-flight', ' '])).toMatchObject({
      error: expect.stringContaining('--max-in-flight'),
    });
    expect(parseServeArgs(['--root'])).toMatchObject({ error: expect.stringMatching(/^--root needs a value/) });
    expect(parseServeArgs(['--root='])).toMatchObject({ error: expect.stringMatching(/^--root needs a folder/) });
    expect(parseServeArgs(['8080'])).toMatchObject({ error: expect.stringMatching(/^unexpected argument "8080"/) });
    expect(parseServeArgs(['--constructor', '1'])).toMatchObject({
      error: expect.stringMatching(/^unknown option --constructor/),
    });
  });

  it('says in the start message what the token gives access to', () => {
    expect(filesNotice(null)).toMatch(/anyone with this URL \(the token\) can open and save files as you/);
    expect(filesNotice(null)).toContain('--root DIR');
    expect(filesNotice('/data/runs')).toBe('Files: opens and saves are confined to /data/runs (--root).');
  });
});
