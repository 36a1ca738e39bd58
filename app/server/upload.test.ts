import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './limits.js';
import { createUploads, safeUploadName, type Uploads } from './upload.js';

let server: Server | null = null;
let uploads: Uploads | null = null;
afterEach(async () => {
  uploads?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

/** The upload routes on a bare HTTP server (server.ts adds the Host and token checks in front). */
async function serve(opts: Parameters<typeof createUploads>[0] = {}, root: string | null = null) {
  uploads = createUploads({ tmpRoot: mkdtempSync(join(tmpdir(), 'ns-up-test-')), ...opts });
  const u = uploads;
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const route = u.routes.find((r) => r.path === path)!;
    void route.handle(req, res, { root, limits: DEFAULT_LIMITS });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const port = (server!.address() as { port: number }).port;
  return (path: string, body?: Uint8Array) =>
    fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: body ?? new Uint8Array() });
}

describe('browser-mode upload (issue 15 item 5)', () => {
  it('writes the bytes to a private temp folder and discards them on request', async () => {
    const post = await serve();
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const r = await post('/upload?name=../../etc/model%20v1.pt', bytes);
    expect(r.status).toBe(200);
    const { path, bytes: n } = (await r.json()) as { path: string; bytes: number };
    expect(n).toBe(bytes.length);
    expect(path.startsWith(uploads!.dir()!)).toBe(true);
    expect(path.endsWith('-model_v1.pt')).toBe(true);
    expect(Buffer.compare(readFileSync(path), Buffer.from(bytes))).toBe(0);
    expect(statSync(uploads!.dir()!).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await post(`/upload/discard?path=${encodeURIComponent('/etc/passwd')}`)).status).toBe(404);
    expect((await post(`/upload/discard?path=${encodeURIComponent(path)}`)).status).toBe(204);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a file over the budget with an error that names it, and keeps nothing', async () => {
    const post = await serve({ maxBytes: 1000 });
    const r = await post('/upload?name=big.pt', new Uint8Array(5000));
    expect(r.status).toBe(413);
    expect(await r.text()).toMatch(
      /larger than the upload budget of 0 MiB \(raise it with `normscope serve --max-upload-mib N`/,
    );
    const dir = uploads!.dir();
    expect(dir === null || !existsSync(join(dir, '1-big.pt'))).toBe(true);
  });

  it('bounds how many uploads are kept; close removes the folder', async () => {
    const post = await serve({ maxFiles: 2 });
    expect((await post('/upload?name=a.pt', new Uint8Array(3))).status).toBe(200);
    expect((await post('/upload?name=b.pt', new Uint8Array(3))).status).toBe(200);
    const r = await post('/upload?name=c.pt', new Uint8Array(3));
    expect(r.status).toBe(429);
    expect(await r.text()).toContain('2 uploads are open already');
    const dir = uploads!.dir()!;
    uploads!.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('is off under --root', async () => {
    const post = await serve({}, '/srv/models');
    const r = await post('/upload?name=a.pt', new Uint8Array(3));
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('--root');
  });

  it('sanitizes names', () => {
    expect(safeUploadName('C:\\Users\\a\\m.safetensors')).toBe('m.safetensors');
    expect(safeUploadName('..')).toBe('upload.bin');
    expect(safeUploadName(null)).toBe('upload.bin');
    expect(safeUploadName('.hidden.pt')).toBe('hidden.pt');
    expect(safeUploadName('a'.repeat(500) + '.pt')).toHaveLength(120);
  });
});

describe('upload routes in the server', () => {
  it('need the token (and the Host check); the upload budget comes from the server limits', async () => {
    const { startServer } = await import('./server.js');
    const dir = mkdtempSync(join(tmpdir(), 'ns-renderer-'));
    const conn = {
      request: async () => ({ ok: true, result: null }) as never,
      onEvent: () => () => undefined,
      close: async () => undefined,
    };
    const s = await startServer({ connection: conn, rendererDir: dir, limits: { maxUploadBytes: 100 } });
    try {
      const base = `http://127.0.0.1:${s.port}`;
      const noToken = await fetch(`${base}/upload?name=a.pt`, { method: 'POST', body: new Uint8Array(5) });
      expect(noToken.status).toBe(403);
      const wrong = await fetch(`${base}/upload?name=a.pt`, {
        method: 'POST',
        body: new Uint8Array(5),
        headers: { 'X-NormScope-Token': 'guess' },
      });
      expect(wrong.status).toBe(403);
      const ok = await fetch(`${base}/upload?name=a.pt`, {
        method: 'POST',
        body: new Uint8Array(5),
        headers: { 'X-NormScope-Token': s.token },
      });
      expect(ok.status).toBe(200);
      const { path } = (await ok.json()) as { path: string };
      expect(existsSync(path)).toBe(true);
      const big = await fetch(`${base}/upload?name=b.pt`, {
        method: 'POST',
        body: new Uint8Array(101),
        headers: { 'X-NormScope-Token': s.token },
      });
      expect(big.status).toBe(413);
      await s.close();
      expect(existsSync(path)).toBe(false); // the folder goes with the server
    } finally {
      await s.close().catch(() => undefined);
    }
  });
});
