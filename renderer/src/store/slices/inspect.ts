/** The layer inspector and state dict slices: the selected layer's inspection, the stack's state dict. */
import type { LayerInspection, StateDictView } from '../../../../app/shared/contract';
import type { SliceKit } from '../kit';

export interface InspectorSlice {
  selectedLayer: string | null;
  inspection: LayerInspection | null;
  inspectorError: string | null;
  selectLayer(path: string): Promise<void>;
}

export interface StateDictSlice {
  stateDict: StateDictView | null;
  stateDictError: string | null;
  loadStateDictView(): Promise<void>;
}

export function inspectorSlice({ set, client, attempt }: SliceKit): InspectorSlice {
  return {
    selectedLayer: null,
    inspection: null,
    inspectorError: null,
    async selectLayer(path) {
      set({ selectedLayer: path });
      const inspection = await attempt('inspectorError', () => client.call('inspect.layer', { path }));
      set({ inspection: inspection ?? null });
    },
  };
}

export function stateDictSlice({ set, client, attempt }: SliceKit): StateDictSlice {
  return {
    stateDict: null,
    stateDictError: null,
    async loadStateDictView() {
      const stateDict = await attempt('stateDictError', () => client.call('stateDict.view', {}));
      if (stateDict) set({ stateDict });
    },
  };
}
