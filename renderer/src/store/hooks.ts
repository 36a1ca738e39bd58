/** React access to the store: one context, atomic selectors (`useApp((s) => s.lr)`). */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { AppState, AppStore } from './store';

export const StoreContext = createContext<AppStore | null>(null);

export function useApp<T>(selector: (s: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useApp outside <StoreContext.Provider>');
  return useStore(store, selector);
}

/** For selectors that return a new object/array of stable members (e.g. a group of actions). */
export function useAppShallow<T>(selector: (s: AppState) => T): T {
  return useApp(useShallow(selector));
}
