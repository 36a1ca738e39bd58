/**
 * Browser mode's file upload: the window's file picker and drops send a file's bytes here (the
 * browser cannot name a path on the host), and the host opens the copy. Each upload is written to a
 * private temporary folder (0700, files 0600, created on the first upload), under a sanitized name
 * that keeps the extension the readers look at; the copy is removed when the window discards it
 * (closing the checkpoint) and the folder when the server closes.
 *
 * Routes (served by server.ts after its Host and token checks):
 *   POST /upload?name=FILE          body: the raw bytes → 200 {"path", "bytes"}; 413 past the budget
 *   POST /upload/discard?path=PATH  removes one upload (only files inside the upload folder) → 204
 * Budgets: bytes per upload, uploads kept at once; each refusal names the budget and its flag.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRoute } from './server.js';

import { LIMIT_FLAGS } from './limits.js';

export interface UploadLimits {
  /** Largest upload (bytes). */
  maxBytes: number;
  /** Uploads kept at once (each removed when the window closes its checkpoint). */
  maxFiles: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxBytes: 4 * 2 ** 30, maxFiles: 32 };

export const uploadMessages = {
  tooLarge: (max: number) =>
    `the file is larger than the upload budget of ${(max / 2 ** 20).toFixed(0)} MiB (raise it with \`normscope serve ${LIMIT_FLAGS.maxUploadBytes} N\`, or type the file's path on the host instead)`,
  tooMany: (n: number) => `${n} uploads are open already (the budget); close a checkpoint first`,
  root: () => 'uploads are off under `normscope serve --root DIR`: put the file in DIR and type its path',
};

/** A name safe to write: the base name, letters, digits, `.`, `_`, `-` only, at most 120 characters. */
export function safeUploadName(name: string | null): string {
  const base = basename(String(name ?? '').replace(/\\/g, '/'))
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '')
    .slice(-120);
  return base || 'upload.bin';
}

export interface Uploads {
  routes: HttpRoute[];
  /** The upload folder (null before the first upload). */
  dir(): string | null;
  /** Removes every upload and the folder. */
  close(): void;
}

export function createUploads(opts: Partial<UploadLimits> & { tmpRoot?: string } = {}): Uploads {
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...opts };
  let dir: string | null = null;
  let counter = 0;
  const kept = new Set<string>();
  const cleanup = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
    kept.clear();
  };
  process.once('exit', cleanup);

  const reply = (res: ServerResponse, code: number, body: unknown) => {
    if (res.headersSent) return void res.destroy();
    const text = typeof body === 'string' ? `${body}\n` : JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // The request body may be unread (a refusal before reading): close rather than drain it.
      ...(code >= 400 ? { Connection: 'close' } : {}),
    });
    res.end(text);
  };
  const query = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x').searchParams;

  async function upload(req: IncomingMessage, res: ServerResponse, root: string | null): Promise<void> {
    if (root) return reply(res, 403, uploadMessages.root());
    if (kept.size >= limits.maxFiles) return reply(res, 429, uploadMessages.tooMany(limits.maxFiles));
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes)
      return reply(res, 413, uploadMessages.tooLarge(limits.maxBytes));
    dir ??= mkdtempSync(join(opts.tmpRoot ?? tmpdir(), 'normscope-upload-')); // mkdtemp makes it 0700
    const file = join(dir, `${++counter}-${safeUploadName(query(req).get('name'))}`);
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    kept.add(file);
    let bytes = 0;
    let failed = false;
    const fail = async (code: number, text: string) => {
      if (failed) return;
      failed = true;
      out.destroy();
      req.unpipe(out);
      kept.delete(file);
      await unlink(file).catch(() => undefined);
      reply(res, code, text);
      req.destroy();
    };
    await new Promise<void>((done) => {
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > limits.maxBytes) void fail(413, uploadMessages.tooLarge(limits.maxBytes)).then(done);
      });
      req.on('error', () => void fail(400, 'the upload broke off').then(done));
      req.on('aborted', () => void fail(400, 'the upload broke off').then(done));
      out.on('error', (e) => void fail(500, `could not write the upload: ${e.message}`).then(done));
      out.on('finish', () => {
        if (!failed) reply(res, 200, { path: file, bytes });
        done();
      });
      req.pipe(out);
    });
  }

  async function discard(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = resolve(query(req).get('path') ?? '');
    // Only a file this server wrote: never a path outside the upload folder.
    if (!dir || dirname(path) !== dir || !kept.has(path)) return reply(res, 404, 'no such upload');
    kept.delete(path);
    await unlink(path).catch(() => undefined);
    reply(res, 204, '');
  }

  return {
    routes: [
      { method: 'POST', path: '/upload', handle: (req, res, ctx) => upload(req, res, ctx.root) },
      { method: 'POST', path: '/upload/discard', handle: (req, res) => discard(req, res) },
    ],
    dir: () => dir,
    close() {
      process.removeListener('exit', cleanup);
      cleanup();
    },
  };
}
