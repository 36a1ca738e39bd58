/**
 * Reading an .onnx file from disk, with its external data: tensor files named by the model, resolved
 * next to it. A location must stay inside the model's folder (relative, no '..' segments, no absolute
 * or drive paths), and every window is checked against the data file's real size before it is read.
 */
import { basename, dirname, fileSize, isInsideDir, joinPath, openFile } from './fileAdapter.js';
import type { ByteSource } from './byteSource.js';
import { DEFAULT_ONNX_BUDGETS, OnnxError } from './onnxError.js';
import { readOnnx, type OnnxModel, type OnnxReadOptions } from './onnx.js';
import type { ExternalReader } from './onnxTensor.js';

/** Whether an external-data location stays inside the model's folder (checked on the text alone). */
export function safeLocation(location: string): boolean {
  if (!location || location.includes('\0') || location.startsWith('/') || location.startsWith('\\')) return false;
  if (/^[A-Za-z]:/.test(location)) return false;
  return location.split(/[\\/]+/).every((seg) => seg !== '..');
}

export function readOnnxFile(file: string, opts: OnnxReadOptions = {}): OnnxModel {
  const budgets = { ...DEFAULT_ONNX_BUDGETS, ...opts.budgets };
  let size: number;
  try {
    size = fileSize(file);
  } catch (e) {
    throw new OnnxError(`cannot open ${file}: ${(e as Error).message}`);
  }
  if (size > budgets.maxFileBytes) {
    throw new OnnxError(`${file} is ${size} bytes, over the maxFileBytes budget (${budgets.maxFileBytes})`);
  }
  const src = openFile(file, { mode: 'memory' });
  const bytes = src.read(0, src.size);
  src.close();
  const dir = dirname(file);
  const opened = new Map<string, ByteSource>();
  const external: ExternalReader = (location, offset, length, tensor) => {
    if (!safeLocation(location)) {
      throw new OnnxError(`tensor '${tensor}': external data location '${location}' is outside the model's folder`);
    }
    let data = opened.get(location);
    if (!data) {
      const target = joinPath(dir, location);
      try {
        // A symlink inside the folder may point anywhere: resolve before opening.
        if (!isInsideDir(target, dir)) {
          throw new OnnxError(`tensor '${tensor}': external data location '${location}' is outside the model's folder`);
        }
        data = openFile(target);
      } catch (e) {
        if (e instanceof OnnxError) throw e;
        throw new OnnxError(`tensor '${tensor}': cannot open external data '${location}': ${(e as Error).message}`);
      }
      opened.set(location, data);
    }
    const n = length ?? data.size - offset;
    if (offset + n > data.size) {
      throw new OnnxError(
        `tensor '${tensor}': external data '${location}' has ${data.size} bytes, the tensor needs ${n} at offset ${offset}`,
      );
    }
    return data.read(offset, n);
  };
  try {
    return readOnnx(bytes, { ...opts, name: opts.name ?? basename(file), external: opts.external ?? external });
  } finally {
    for (const s of opened.values()) s.close();
  }
}
