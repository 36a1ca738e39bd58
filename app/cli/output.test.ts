import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusFile, loadCheckpoint } from '../../engine/testing.js';
import { writeOutput } from './output.js';

describe('writeOutput (issue 15 item 9)', () => {
  it('refuses an existing OUT in the CLI’s words (--overwrite), and replaces it with --overwrite', () => {
    const ck = loadCheckpoint(corpusFile('tiny_state_dict.pt'));
    const out = join(mkdtempSync(join(tmpdir(), 'ns-out-')), 'o.pt');
    writeFileSync(out, 'keep me');
    const found = ck.found();
    expect(() => writeOutput(ck, found.path, ck.stateDict(found.path), out, false)).toThrow(
      `${out} already exists (pass --overwrite to replace it)`,
    );
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    writeOutput(ck, found.path, ck.stateDict(found.path), out, true);
    expect(readFileSync(out).subarray(0, 2).toString('latin1')).toBe('PK');
  });
});
