/** Window entry: one contract client, one store, the React tree. */
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createClient } from './client/client';
import { httpUploader } from './client/upload';
import { StoreContext } from './store/hooks';
import { createAppStore, type AppStore } from './store/store';
import './styles.css';

let store: AppStore | null = null;
const client = createClient((status) => store?.getState().setConnection(status));
const prefersLight = window.matchMedia?.('(prefers-color-scheme: light)').matches;
// Electron opens files by path (dialogs, drops through the preload); browser mode uploads them.
store = createAppStore(client, {
  theme: prefersLight ? 'light' : 'dark',
  uploader: window.normscope ? null : httpUploader(),
});
void store
  .getState()
  .init()
  .then(() => {
    if (client && window.normscope) store!.getState().setConnection('open');
    document.body.dataset.ready = 'true';
  });

createRoot(document.getElementById('root')!).render(
  <StoreContext.Provider value={store}>
    <App store={store} />
  </StoreContext.Provider>,
);
