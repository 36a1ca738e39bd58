/**
 * The Models workspace's input batches, one per graph input: standard-normal values of the declared
 * shape from a seed, or a float .npy whose shape fits (dimension 0, the batch, may differ). Refusals
 * name the input. The CLI's reader (app/cli/modelInputs.ts) checks shapes the same way for --input.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Generator, randn, Tensor, type GraphModule } from '../../engine/index.js';
import type { ModelInputInfo } from '../shared/contract.js';
import { readNpy } from '../ranks/npy.js';

/** Budget: an input .npy read whole into memory (the engine then holds it as a float tensor). */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

/** The batch fed to one graph input, with what the window shows of it. */
export interface Fed {
  tensor: Tensor;
  info: ModelInputInfo;
}

/** The float dtype a graph input is fed in; other dtypes are refused, naming the input. */
function floatDtype(info: GraphModule['graphInputs'][number]): 'float32' | 'float64' {
  if (info.dtype !== 'float32' && info.dtype !== 'float64')
    throw new RangeError(`input '${info.name}' is ${info.dtype}: only float inputs can be fed`);
  return info.dtype;
}

/** Standard-normal values of the input's declared shape with `batch` samples. */
export function generated(
  model: GraphModule,
  info: GraphModule['graphInputs'][number],
  batch: number,
  seed: number,
): Fed {
  const dtype = floatDtype(info);
  const shape = [batch, ...model.declaredShapes().get(info.name)!.slice(1)];
  const tensor = randn(shape, { generator: new Generator(seed), dtype });
  return { tensor, info: { name: info.name, shape, source: `generated (seed ${seed})` } };
}

/** A float .npy whose shape fits the input's declared one (dimension 0, the batch, may differ). */
export function fromFile(model: GraphModule, info: GraphModule['graphInputs'][number], path: string): Fed {
  const dtype = floatDtype(info);
  const declared = model.declaredShapes().get(info.name)!;
  const size = statSync(path).size;
  if (size > MAX_INPUT_BYTES)
    throw new RangeError(
      `input '${info.name}': ${basename(path)} is ${size} bytes: input files are limited to ${MAX_INPUT_BYTES} bytes`,
    );
  const arr = readNpy(readFileSync(path), basename(path));
  const fits =
    arr.shape.length === declared.length &&
    info.shape.every((d, i) => i === 0 || typeof d !== 'number' || d === arr.shape[i]);
  if (!fits)
    throw new RangeError(
      `${basename(path)} has shape [${arr.shape.join(', ')}] but input '${info.name}' is [${info.shape.join(', ')}] (only dimension 0, the batch, may differ)`,
    );
  const data =
    arr.dtype === dtype ? arr.data : dtype === 'float32' ? Float32Array.from(arr.data) : Float64Array.from(arr.data);
  return { tensor: new Tensor(data, arr.shape, dtype), info: { name: info.name, shape: [...arr.shape], source: path } };
}
