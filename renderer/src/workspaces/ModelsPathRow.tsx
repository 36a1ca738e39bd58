/**
 * A typed path with its action, and a Choose… button (Electron: the host's dialog; browser mode: an upload).
 * `input` names the graph input an input file is for (a model with several); it also tells the test ids apart.
 */
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
  input,
}: {
  kind: ModelFileKind;
  label: string;
  action: string;
  onPath: (path: string) => Promise<void>;
  input?: string;
}) {
  const id = input === undefined ? `model-${kind}` : `model-${kind}-${input}`;
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
          data-testid={`${id}-path`}
        />
      </label>
      <button type="submit" disabled={!path.trim()} data-testid={`${id}-open`}>
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
          data-testid={`${id}-choose`}
        >
          Choose…
        </button>
      )}
      {browser && (
        <>
          <button type="button" onClick={() => picker.current?.click()} data-testid={`${id}-choose`}>
            Choose…
          </button>
          <input
            ref={picker}
            type="file"
            hidden
            accept={ACCEPT[kind]}
            data-testid={`${id}-file`}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void upload(file, kind, input);
            }}
          />
        </>
      )}
    </form>
  );
}
