/** A typed path with its action, and a Choose… button (Electron: the host's dialog; browser mode: an upload). */
import { useRef, useState } from 'react';
import { useApp } from '../store/hooks';
import type { ModelFileKind } from '../store/slices/models';

const ACCEPT: Record<ModelFileKind, string> = {
  model: '.onnx',
  target: '.npy',
  weights: '.pt,.pth,.ckpt,.bin,.safetensors,.tar',
  input: '.npy',
};

export function PathRow({
  kind,
  label,
  action,
  onPath,
}: {
  kind: ModelFileKind;
  label: string;
  action: string;
  onPath: (path: string) => Promise<void>;
}) {
  const [path, setPath] = useState('');
  const browser = useApp((s) => s.info?.runtime === 'browser');
  const upload = useApp((s) => s.uploadModelFile);
  const chooseFile = useApp((s) => s.chooseFile);
  const picker = useRef<HTMLInputElement>(null);
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim()) void onPath(path.trim());
      }}
    >
      <label>
        {label}{' '}
        <input
          type="text"
          value={path}
          size={48}
          placeholder="/path/on/the/host"
          onChange={(e) => setPath(e.target.value)}
          data-testid={`model-${kind}-path`}
        />
      </label>
      <button type="submit" disabled={!path.trim()} data-testid={`model-${kind}-open`}>
        {action}
      </button>
      {!browser && (
        // Electron: the dialog grants the host the chosen file (a typed path alone is refused there).
        <button
          type="button"
          onClick={() =>
            void chooseFile('open').then((p) => {
              if (!p) return;
              setPath(p);
              return onPath(p);
            })
          }
          data-testid={`model-${kind}-choose`}
        >
          Choose…
        </button>
      )}
      {browser && (
        <>
          <button type="button" onClick={() => picker.current?.click()} data-testid={`model-${kind}-choose`}>
            Choose…
          </button>
          <input
            ref={picker}
            type="file"
            hidden
            accept={ACCEPT[kind]}
            data-testid={`model-${kind}-file`}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void upload(file, kind);
            }}
          />
        </>
      )}
    </form>
  );
}
