import { describe, expect, it } from 'vitest';
import { METHOD_NAMES } from '../shared/contract.js';
import { PathGrants, pathsOf } from './grants.js';

describe('file grants (files only through dialogs, drops and the command line)', () => {
  it('grants exact resolved paths only', () => {
    const g = new PathGrants();
    expect(g.isGranted('/data/a.pt')).toBe(false);
    g.grant('/data/./a.pt');
    expect(g.isGranted('/data/a.pt')).toBe(true);
    expect(g.isGranted('/data/b.pt')).toBe(false);
    expect(g.isGranted('/data/sub/../a.pt')).toBe(true);
  });

  it('knows every contract method that takes a file path', () => {
    expect(pathsOf('checkpoint.open', { path: '/x.pt', jobId: 'j', tensorsOnly: false })).toEqual(['/x.pt']);
    expect(pathsOf('diff.run', { a: '/a.pt', b: '/b.pt', stripPrefix: null, jobId: 'j' })).toEqual(['/a.pt', '/b.pt']);
    expect(pathsOf('stateDict.export', { path: '/o.pt', format: 'pt' })).toEqual(['/o.pt']);
    // No other method carries a path field (a new one must be added to pathsOf).
    const withPath = METHOD_NAMES.filter((m) => pathsOf(m, { path: '/p', a: '/a', b: '/b', target: '/t' }).length > 0);
    expect(withPath.sort()).toEqual([
      'checkpoint.open',
      'diff.run',
      'model.export',
      'model.open',
      'model.setInput',
      'model.train',
      'model.weights',
      'stateDict.export',
    ]);
  });
});
