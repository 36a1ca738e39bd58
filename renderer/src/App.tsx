/** The window shell: workspace navigation, theme, connection state, and keyboard shortcuts. */
import { useEffect, useState } from 'react';
import { ErrorBox } from './components/common';
import { BrowserOpen, pickFile } from './components/OpenFile';
import { useApp, useAppShallow } from './store/hooks';
import type { AppStore, WorkspaceId } from './store/store';
import { Backends } from './workspaces/Backends';
import { Checkpoints } from './workspaces/Checkpoints';
import { Diff } from './workspaces/Diff';
import { Inspector } from './workspaces/Inspector';
import { Models } from './workspaces/Models';
import { Ranks } from './workspaces/Ranks';
import { StackBuilder } from './workspaces/StackBuilder';
import { StateDict } from './workspaces/StateDict';
import { Stepping } from './workspaces/Stepping';

export const WORKSPACES: Array<{ id: WorkspaceId; label: string; view: () => React.JSX.Element }> = [
  { id: 'stack', label: 'Stack builder', view: StackBuilder },
  { id: 'stepping', label: 'Stepping', view: Stepping },
  { id: 'inspect', label: 'Layer inspector', view: Inspector },
  { id: 'stateDict', label: 'State dict', view: StateDict },
  { id: 'checkpoints', label: 'Checkpoints', view: Checkpoints },
  { id: 'diff', label: 'Diff', view: Diff },
  { id: 'ranks', label: 'Ranks', view: Ranks },
  { id: 'backends', label: 'Backends', view: Backends },
  { id: 'models', label: 'Models', view: Models },
];

/** Global shortcuts; letter keys are ignored while typing in a field. */
export function handleShortcut(
  store: AppStore,
  e: Pick<KeyboardEvent, 'key' | 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey'>,
  typing: boolean,
): boolean {
  const s = store.getState();
  const mod = e.ctrlKey || e.metaKey;
  if (e.altKey && /^[1-9]$/.test(e.key)) {
    s.setWorkspace(WORKSPACES[Number(e.key) - 1]!.id);
    return true;
  }
  if (mod && e.shiftKey && e.key.toLowerCase() === 'l') {
    s.setTheme(s.theme === 'dark' ? 'light' : 'dark');
    return true;
  }
  if (mod && e.key.toLowerCase() === 'b') {
    void s.build();
    return true;
  }
  // Ctrl+O: browser mode's file picker (Electron's File → Open menu item owns the accelerator there).
  if (mod && !e.shiftKey && e.key.toLowerCase() === 'o' && s.info?.runtime === 'browser') {
    s.setWorkspace('checkpoints');
    pickFile();
    return true;
  }
  if (typing || mod || e.altKey) return false;
  if (e.key === 'Escape' && s.runJob) {
    void s.cancelRun();
    return true;
  }
  if (s.workspace !== 'stepping' || !s.session?.built) return false;
  const actions: Record<string, () => Promise<void>> = {
    f: s.forward,
    s: s.trainStep,
    r: s.runN,
    c: s.runCompare,
    t: () => s.setMode(!(s.session?.training ?? true)),
  };
  const act = actions[e.key.toLowerCase()];
  if (!act) return false;
  void act();
  return true;
}

export const SHORTCUTS: Array<[string, string]> = [
  ['Alt+1 … Alt+9', 'switch workspace'],
  ['Ctrl+B', 'build the stack'],
  ['Ctrl+O', 'open a checkpoint file'],
  ['F', 'forward (Stepping)'],
  ['S', 'train step: forward, loss, backward, SGD (Stepping)'],
  ['R', 'run N steps (Stepping)'],
  ['Esc', 'cancel the running job'],
  ['T', 'toggle train / eval (Stepping)'],
  ['C', 'same batch in train and eval (Stepping)'],
  ['Ctrl+Shift+L', 'dark / light theme'],
  ['?', 'show or hide this list'],
];

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="overlay" role="dialog" aria-label="keyboard shortcuts" data-testid="shortcuts" onClick={onClose}>
      <div className="overlay-box" onClick={(e) => e.stopPropagation()}>
        <h3>Keyboard shortcuts</h3>
        <table className="grid">
          <tbody>
            {SHORTCUTS.map(([k, what]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button onClick={onClose}>Close</button>
      </div>
    </div>
  );
}

export function App({ store }: { store: AppStore }) {
  const [help, setHelp] = useState(false);
  const workspace = useApp((s) => s.workspace);
  const theme = useApp((s) => s.theme);
  const connection = useApp((s) => s.connection);
  const info = useApp((s) => s.info);
  const infoError = useApp((s) => s.infoError);
  const { setWorkspace, setTheme } = useAppShallow((s) => ({ setWorkspace: s.setWorkspace, setTheme: s.setTheme }));
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing = !!t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
      if (!typing && e.key === '?') {
        setHelp((h) => !h);
        e.preventDefault();
        return;
      }
      if (e.key === 'Escape' && !store.getState().runJob) setHelp(false);
      if (handleShortcut(store, e, typing)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
  const View = WORKSPACES.find((w) => w.id === workspace)!.view;
  return (
    <div className="app">
      <nav className="sidebar" aria-label="workspaces">
        <h1>NormScope</h1>
        {WORKSPACES.map((w, i) => {
          const feature = info?.features[w.id];
          return (
            <button
              key={w.id}
              className={`nav${w.id === workspace ? ' active' : ''}${feature && !feature.available ? ' unavailable' : ''}`}
              onClick={() => setWorkspace(w.id)}
              data-testid={`nav-${w.id}`}
              title={`Alt+${i + 1}`}
            >
              {w.label}
              <kbd>{i + 1}</kbd>
            </button>
          );
        })}
        <div className="sidebar-foot">
          <button onClick={() => setHelp(true)} data-testid="shortcuts-button" title="?">
            Keyboard shortcuts
          </button>
          <button
            onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
            data-testid="theme-toggle"
            title="Ctrl+Shift+L"
          >
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
          <div className={`conn ${connection}`} data-testid="connection">
            {connection === 'open' ? `connected · ${info?.runtime ?? ''}` : connection}
          </div>
        </div>
      </nav>
      <main className="content">
        {connection === 'closed' && (
          <div className="error">Lost the connection to the NormScope host. Restart `normscope serve` and reload.</div>
        )}
        <ErrorBox error={infoError} />
        <View />
      </main>
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      <BrowserOpen />
    </div>
  );
}
