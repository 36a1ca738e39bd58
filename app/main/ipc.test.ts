import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CALL_CHANNEL } from '../preload/bridge.js';
import { PathGrants } from './grants.js';
import { APP_ENTRY } from './security.js';

type Handler = (event: unknown, method: unknown, payload: unknown) => Promise<unknown>;
const handlers = new Map<string, Handler>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: Handler) => handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}));

const top = { senderFrame: { url: APP_ENTRY, parent: null } };
const forwarded: unknown[][] = [];
const grants = new PathGrants();

beforeAll(async () => {
  const { wireIpc } = await import('./ipc.js');
  const connection = {
    request: async (m: unknown, p: unknown) => {
      forwarded.push([m, p]);
      return { ok: true, value: null };
    },
    onEvent: () => () => undefined,
  };
  wireIpc(connection as never, () => null, {
    grants,
    choose: async (purpose) => (purpose === 'open' ? '/picked/model.pt' : null),
  });
});

describe('IPC file gate (Electron)', () => {
  it('refuses file paths the person did not choose, forwards those they did', async () => {
    const handler = handlers.get(CALL_CHANNEL)!;
    const open = (path: string) => handler(top, 'checkpoint.open', { path, jobId: 'j', tensorsOnly: false });
    expect(await open('/etc/shadow.pt')).toMatchObject({ ok: false, error: { name: 'Forbidden' } });
    expect(forwarded).toEqual([]);
    expect(await handler(top, 'files.choose', { purpose: 'open' })).toEqual({
      ok: true,
      value: { path: '/picked/model.pt' },
    });
    expect(await open('/picked/model.pt')).toEqual({ ok: true, value: null });
    expect(forwarded).toHaveLength(1);
    // A diff needs both sides granted.
    expect(
      await handler(top, 'diff.run', { a: '/picked/model.pt', b: '/other.pt', stripPrefix: null, jobId: 'd' }),
    ).toMatchObject({ ok: false, error: { name: 'Forbidden' } });
    grants.grant('/other.pt');
    expect(
      await handler(top, 'diff.run', { a: '/picked/model.pt', b: '/other.pt', stripPrefix: null, jobId: 'd' }),
    ).toMatchObject({ ok: true });
    // A cancelled save dialog grants nothing.
    expect(await handler(top, 'files.choose', { purpose: 'save' })).toEqual({ ok: true, value: { path: null } });
    expect(await handler(top, 'stateDict.export', { path: '/x.safetensors', format: 'safetensors' })).toMatchObject({
      ok: false,
      error: { name: 'Forbidden' },
    });
  });
});
