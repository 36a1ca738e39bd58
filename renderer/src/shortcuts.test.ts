import { describe, expect, it } from 'vitest';
import type { AppInfo, ContractClient } from '../../app/shared/contract';
import { handleShortcut } from './App';
import { createAppStore } from './store/store';

const client: ContractClient = {
  call: async () => {
    throw new Error('no host');
  },
  on: () => () => undefined,
};
const key = (k: string) => ({ key: k, ctrlKey: true, metaKey: false, altKey: false, shiftKey: false });

describe('Ctrl+O (issue 15 item 5)', () => {
  it('in browser mode opens the file picker in the Checkpoint browser, from any workspace', () => {
    const store = createAppStore(client, { recent: { load: () => [], save: () => undefined } });
    store.setState({ info: { runtime: 'browser' } as AppInfo, workspace: 'stack' });
    expect(handleShortcut(store, key('o'), false)).toBe(true);
    expect(store.getState().workspace).toBe('checkpoints');
    expect(handleShortcut(store, key('o'), true)).toBe(true); // also while typing in a field
  });

  it("in Electron leaves Ctrl+O to main's File → Open menu item", () => {
    const store = createAppStore(client, { recent: { load: () => [], save: () => undefined } });
    store.setState({ info: { runtime: 'electron' } as AppInfo, workspace: 'stack' });
    expect(handleShortcut(store, key('o'), false)).toBe(false);
    expect(store.getState().workspace).toBe('stack');
  });
});
