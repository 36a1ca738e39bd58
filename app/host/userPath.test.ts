import { describe, expect, it } from 'vitest';
import { resolveUserPath } from './userPath.js';

describe('resolveUserPath (issue 15 item 5)', () => {
  it('expands ~ and ~/ to the home folder', () => {
    expect(resolveUserPath('~/m/a.pt', '/srv', '/home/ann')).toEqual({
      path: '/home/ann/m/a.pt',
      note: '~ is /home/ann',
    });
    expect(resolveUserPath('~', '/srv', '/home/ann').path).toBe('/home/ann');
    expect(resolveUserPath('  ~/x.pt ', '/srv', '/home/ann').path).toBe('/home/ann/x.pt');
  });
  it('keeps ~user and names starting with ~ inside folders as typed (relative)', () => {
    expect(resolveUserPath('~bob/x.pt', '/srv', '/home/ann').path).toBe('/srv/~bob/x.pt');
  });
  it('says which folder a relative path resolves against', () => {
    expect(resolveUserPath('ck/a.pt', '/srv/run', '/home/ann')).toEqual({
      path: '/srv/run/ck/a.pt',
      note: "relative paths resolve against the host's folder /srv/run",
    });
    expect(resolveUserPath('/abs/a.pt', '/srv', '/h')).toEqual({ path: '/abs/a.pt', note: '' });
  });
});
