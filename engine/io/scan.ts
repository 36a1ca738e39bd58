/**
 * Static scan of a checkpoint file: the globals and opcodes of every pickle in it, without building
 * any object — what `normscope inspect --scan` shows for a refused file.
 */
import { detectFormat } from './checkpoint.js';
import { TorchZipError } from './errors.js';
import { openFile } from './fileAdapter.js';
import { scanPickle, type PickleScan } from './pickleScan.js';
import { readEntry, readZipDirectory } from './zipReader.js';

export interface FileScan {
  format: string;
  pickles: (PickleScan & { name: string })[];
}

export function scanCheckpointFile(file: string): FileScan {
  const src = openFile(file, { mode: 'windowed' });
  try {
    const format = detectFormat(src);
    if (format === 'torch-zip') {
      const dir = readZipDirectory(src);
      const pkls = [...dir.entries.values()].filter((e) => e.name.endsWith('.pkl'));
      if (!pkls.length) throw new TorchZipError('no pickle records in this zip');
      return {
        format,
        pickles: pkls.map((e) => ({ name: e.name, ...scanPickle(readEntry(src, e)) })),
      };
    }
    if (format === 'torch-legacy' || format === 'pickle') {
      const bytes = src.read(0, Math.min(src.size, 64 * 1024 * 1024));
      const names =
        format === 'pickle' ? ['pickle'] : ['magic number', 'protocol', 'sys info', 'object', 'storage keys'];
      const pickles: FileScan['pickles'] = [];
      let pos = 0;
      for (const name of names) {
        const s = scanPickle(bytes, pos);
        pickles.push({ name, ...s });
        pos = s.end;
      }
      return { format, pickles };
    }
    return { format, pickles: [] };
  } finally {
    src.close();
  }
}
