import { describe, expect, it } from 'vitest';
import { DROP_CHANNEL } from './bridge.js';
import { installDropForwarder, type DragEventLike } from './drops.js';

function setup(pathOf: (f: unknown) => string) {
  const listeners = new Map<string, (e: DragEventLike) => void>();
  const sent: unknown[][] = [];
  installDropForwarder({ addEventListener: (type, l) => void listeners.set(type, l) }, pathOf, {
    invoke: async (...args) => {
      sent.push(args);
      return { ok: true };
    },
  });
  const fire = (type: string, types: string[], files: unknown[]) => {
    let prevented = false;
    listeners.get(type)!({ dataTransfer: { types, files }, preventDefault: () => void (prevented = true) });
    return prevented;
  };
  return { fire, sent };
}

describe('installDropForwarder (preload)', () => {
  it('sends each dropped file’s path on the drop channel and cancels the navigation', () => {
    const { fire, sent } = setup((f) => `/data/${(f as { name: string }).name}`);
    expect(fire('dragover', ['Files'], [])).toBe(true);
    expect(fire('drop', ['Files'], [{ name: 'a.pt' }, { name: 'b.pth' }])).toBe(true);
    expect(sent).toEqual([
      [DROP_CHANNEL, '/data/a.pt'],
      [DROP_CHANNEL, '/data/b.pth'],
    ]);
  });

  it('leaves drops without files alone and skips files without a path on disk', () => {
    const { fire, sent } = setup((f) => {
      if ((f as { name: string }).name === 'boom') throw new Error('not a File');
      return (f as { name: string }).name === 'web' ? '' : '/data/x.pt';
    });
    expect(fire('dragover', ['text/plain'], [])).toBe(false);
    expect(fire('drop', ['text/uri-list'], [])).toBe(false);
    fire('drop', ['Files'], [{ name: 'web' }, { name: 'boom' }, { name: 'ok' }]);
    expect(sent).toEqual([[DROP_CHANNEL, '/data/x.pt']]);
  });
});
