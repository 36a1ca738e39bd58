/** The stack builder slice: the spec being edited, its validation, the built stack, SyncBatchNorm conversion. */
import type { StackSummary, StackValidation, SyncConversionPreview } from '../../../../app/shared/contract';
import type { LayerType, StackSpec } from '../../../../app/shared/stackSpec';
import type { SliceKit } from '../kit';
import * as edit from '../specEdit';
import { fieldErrorsUnder } from './app';

export interface StackSlice {
  spec: StackSpec;
  inputShape: number[];
  validation: StackValidation | null;
  summary: StackSummary | null;
  syncPreview: SyncConversionPreview | null;
  stackBusy: boolean;
  stackError: string | null;
  loadPreset(name: string): Promise<void>;
  addLayer(type: LayerType, parent?: string): Promise<void>;
  removeLayer(path: string): Promise<void>;
  moveLayer(path: string, delta: -1 | 1): Promise<void>;
  updateLayer(path: string, patch: Record<string, unknown>): Promise<void>;
  setInputShape(shape: number[]): Promise<void>;
  validate(): Promise<void>;
  build(): Promise<void>;
  previewSync(): Promise<void>;
  applySync(): Promise<void>;
}

export function stackSlice({ set, get, client, attempt, setSpec, modelChanged }: SliceKit): StackSlice {
  const preset = edit.PRESETS['MLP (BatchNorm1d)']!;
  return {
    spec: preset.spec,
    inputShape: preset.inputShape,
    validation: null,
    summary: null,
    syncPreview: null,
    stackBusy: false,
    stackError: null,
    async loadPreset(name) {
      const p = edit.PRESETS[name];
      if (!p) return;
      set({ inputShape: p.inputShape });
      await setSpec(p.spec);
    },
    async addLayer(type, parent = '') {
      const v = get().validation;
      const last = v?.outputShape ?? null;
      const channels = last && last.length > 1 ? last[1]! : last ? last[0]! : null;
      await setSpec(edit.addLayer(get().spec, edit.defaultLayer(type, channels), parent));
    },
    removeLayer: (path) => setSpec(edit.removeLayer(get().spec, path)),
    moveLayer: (path, delta) => setSpec(edit.moveLayer(get().spec, path, delta)),
    updateLayer: (path, patch) => setSpec(edit.updateLayer(get().spec, path, patch)),
    async setInputShape(inputShape) {
      set({ inputShape });
      await get().validate();
    },
    async validate() {
      const { spec, inputShape } = get();
      const validation = await attempt('stackError', () => client.call('stack.validate', { spec, inputShape }));
      if (validation) set({ validation });
    },
    async build() {
      const { spec, inputShape } = get();
      // A field whose text does not parse has not reached the spec: building now would build the old value.
      const bad = fieldErrorsUnder(get().fieldErrors, 'stack:');
      if (bad.length) return set({ stackError: `fix the marked field first: ${bad[0]}` });
      set({ stackBusy: true });
      const summary = await attempt('stackError', () => client.call('stack.build', { spec, inputShape, seed: 0 }));
      set({ stackBusy: false });
      if (summary) {
        modelChanged({
          stackNotes: [],
          summary,
          losses: [],
          selectedLayer: summary.normLayers[0] ?? null,
          loadPreview: null,
          loadReport: null,
        });
        const session = await attempt('steppingError', () => client.call('step.state', {}));
        if (session) set({ session });
      }
    },
    async previewSync() {
      const syncPreview = await attempt('stackError', () => client.call('stack.previewSync', { spec: get().spec }));
      if (syncPreview) set({ syncPreview });
    },
    async applySync() {
      const p = get().syncPreview;
      if (!p) return;
      // A built stack is converted in place (keeping weights, statistics and the counter), as
      // convert_sync_batchnorm does; before a build only the spec changes.
      if (get().summary) {
        const r = await attempt('stackError', () => client.call('stack.convertSync', {}));
        if (!r) return;
        const keep = get().selectedLayer;
        modelChanged({
          summary: r.summary,
          selectedLayer: keep && r.summary.normLayers.includes(keep) ? keep : (r.summary.normLayers[0] ?? null),
          loadPreview: null,
          loadReport: null,
        });
      }
      await setSpec(p.spec);
    },
  };
}
