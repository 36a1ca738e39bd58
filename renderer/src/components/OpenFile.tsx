/**
 * Opening a file in browser mode, from anywhere in the window: one hidden file input (the file
 * picker: the Checkpoints workspace's Choose… and Ctrl+O), and drops of files onto the window.
 * Both upload the file to the host (with progress) and open the copy. In Electron the preload
 * forwards drops to main and File → Open is main's dialog, so nothing here runs there.
 */
import { useEffect } from 'react';
import { useApp } from '../store/hooks';
import type { ModelFileKind } from '../store/slices/models';

export const FILE_INPUT_ID = 'ns-open-file';

/** Opens the browser's file picker (must run in a user gesture: a click or a key press). */
export function pickFile(): void {
  if (typeof document === 'undefined') return;
  (document.getElementById(FILE_INPUT_ID) as HTMLInputElement | null)?.click();
}

/** What a file dropped on the Models workspace is, by its name. */
export function modelFileKind(name: string): ModelFileKind {
  const n = name.toLowerCase();
  return n.endsWith('.onnx') ? 'model' : n.endsWith('.npy') ? 'input' : 'weights';
}

export function BrowserOpen() {
  const browser = useApp((s) => s.info?.runtime === 'browser');
  const uploadAndOpen = useApp((s) => s.uploadAndOpen);
  const inModels = useApp((s) => s.workspace === 'models');
  const uploadModelFile = useApp((s) => s.uploadModelFile);
  useEffect(() => {
    if (!browser) return;
    const carriesFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const over = (e: DragEvent) => {
      if (carriesFiles(e)) e.preventDefault(); // lets the drop event fire
    };
    const drop = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      // On the Models workspace a drop is the model (.onnx), its input batch (.npy) or its weights.
      if (inModels) void uploadModelFile(file, modelFileKind(file.name));
      else void uploadAndOpen(file);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [browser, uploadAndOpen, inModels, uploadModelFile]);
  if (!browser) return null;
  return (
    <input
      id={FILE_INPUT_ID}
      type="file"
      hidden
      accept=".pt,.pth,.ckpt,.bin,.safetensors,.pkl,.tar"
      data-testid="file-input"
      onChange={(e) => {
        const file = e.target.files?.[0];
        e.target.value = ''; // the same file can be picked again
        if (file) void uploadAndOpen(file);
      }}
    />
  );
}
