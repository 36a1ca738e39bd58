/** The app slice: host info, connection, theme, the active workspace, long jobs' progress. */
import type { AppInfo } from '../../../../app/shared/contract';
import type { SliceKit } from '../kit';

export type WorkspaceId =
  'stack' | 'stepping' | 'inspect' | 'stateDict' | 'checkpoints' | 'diff' | 'ranks' | 'backends' | 'models';
export type Theme = 'dark' | 'light';
export interface Job {
  done: number;
  total: number;
  label: string;
}

export interface AppSlice {
  info: AppInfo | null;
  infoError: string | null;
  connection: 'connecting' | 'open' | 'closed';
  theme: Theme;
  workspace: WorkspaceId;
  jobs: Record<string, Job>;
  /** Moves on whenever the built model changes; views that describe the model refetch on it. */
  modelVersion: number;
  /** Fields whose typed text does not parse, by key (`stack:0.eps`): what they say is wrong. */
  fieldErrors: Record<string, string>;
  setFieldError(key: string, error: string | null): void;
  init(): Promise<void>;
  setTheme(t: Theme): void;
  setWorkspace(w: WorkspaceId): void;
  setConnection(c: AppSlice['connection']): void;
  /** Asks the host to stop a long job (its flag reaches the worker even while it is busy). */
  cancelJob(jobId: string | null): Promise<void>;
  /** Electron: a file dialog in main (the chosen file becomes usable); null when cancelled. */
  chooseFile(purpose: 'open' | 'save'): Promise<string | null>;
}

export function appSlice({ set, get, client, attempt }: SliceKit, theme: Theme): AppSlice {
  return {
    info: null,
    infoError: null,
    connection: 'connecting',
    theme,
    workspace: 'stack',
    jobs: {},
    modelVersion: 0,
    fieldErrors: {},
    setFieldError(key, error) {
      const now = get().fieldErrors;
      if ((now[key] ?? null) === error) return;
      const next = { ...now };
      if (error === null) delete next[key];
      else next[key] = error;
      set({ fieldErrors: next });
    },
    async init() {
      const info = await attempt('infoError', () => client.call('app.info', {}));
      if (info) set({ info });
      await get().validate();
    },
    setTheme: (t) => set({ theme: t }),
    setWorkspace: (workspace) => set({ workspace }),
    setConnection: (connection) => set({ connection }),
    async chooseFile(purpose) {
      const r = await attempt('infoError', () => client.call('files.choose', { purpose }));
      return r?.path ?? null;
    },
    async cancelJob(jobId) {
      if (jobId) await client.call('job.cancel', { jobId }).catch(() => undefined);
    },
  };
}

/** The standing field errors under a prefix (`stack:`), as "field: error" lines. */
export function fieldErrorsUnder(errors: Record<string, string>, prefix: string): string[] {
  return Object.entries(errors)
    .filter(([k]) => k.startsWith(prefix))
    .map(([, e]) => e);
}
