import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { METHOD_NAMES } from '../shared/contract.js';
import { decodeMessage, encodeMessage, TOKEN_MESSAGE, type ServerMessage } from '../shared/wire.js';
import { startHostWorker, type HostConnection } from '../host/hostWorker.js';
import { startServer, type RunningServer } from './server.js';

let conn: HostConnection;
let server: RunningServer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-renderer-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'other.html'), '<!doctype html>');
  conn = await startHostWorker('browser');
  server = await startServer({ connection: conn, rendererDir: dir });
});
afterAll(async () => {
  await server?.close();
  await conn?.close();
});

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function call(ws: WebSocket, id: number, method: string, payload: unknown): Promise<ServerMessage> {
  return new Promise((resolve) => {
    const onMsg = (data: Buffer) => {
      const m = decodeMessage<ServerMessage>(data.toString());
      if (m.t === 'result' && m.id === id) {
        ws.off('message', onMsg);
        resolve(m);
      }
    };
    ws.on('message', onMsg);
    ws.send(encodeMessage({ t: 'call', id, method: method as never, payload }));
  });
}

describe('browser-mode server', () => {
  it('serves the page only on 127.0.0.1 and only with the token, and sets no cookie', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    const base = `http://127.0.0.1:${server.port}/`;
    for (const url of [base, `${base}?token=wrong`, `${base}index.html`]) {
      const r = await fetch(url);
      expect(r.status).toBe(403);
      expect(await r.text()).toContain(TOKEN_MESSAGE);
    }
    const ok = await fetch(server.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(ok.headers.get('set-cookie')).toBeNull();
    // The token in a header works as well (for the window's fetches); a cookie never does.
    expect((await fetch(base, { headers: { 'X-NormScope-Token': server.token } })).status).toBe(200);
    expect((await fetch(base, { headers: { cookie: `normscope_token=${server.token}` } })).status).toBe(403);
    expect((await fetch(`${base}..%2F..%2Fetc%2Fpasswd?token=${server.token}`)).status).toBe(404);
  });

  it('serves the static bundle without the token (it is not secret), but no page', async () => {
    const base = `http://127.0.0.1:${server.port}/`;
    const js = await fetch(`${base}app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${base}other.html`)).status).toBe(403);
    expect(
      (await fetch(`${base}normscope-token-check`, { headers: { 'X-NormScope-Token': server.token } })).status,
    ).toBe(204);
    expect((await fetch(`${base}normscope-token-check`, { headers: { 'X-NormScope-Token': 'old' } })).status).toBe(403);
    expect((await fetch(`${base}normscope-token-check`)).status).toBe(403);
    const retry = await fetch(`${base}normscope-token-retry.js`);
    expect(retry.status).toBe(200);
    expect(await retry.text()).toContain('sessionStorage');
  });

  it('refuses sockets without the token or from another origin', async () => {
    await expect(open(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow('403');
    await expect(
      open(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { Origin: 'http://evil.example' }),
    ).rejects.toThrow('403');
  });

  it('answers every contract method (a result or a typed error, never silence)', async () => {
    const ws = await open(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, {
      Origin: `http://127.0.0.1:${server.port}`,
    });
    let id = 1;
    for (const m of METHOD_NAMES) {
      const out = await call(ws, id++, m, {});
      expect(out.t).toBe('result');
      if (out.t === 'result' && !out.ok) expect(out.error.message).not.toMatch(/^unknown method/);
    }
    const bad = await call(ws, id++, 'nope', {});
    expect(bad).toMatchObject({ ok: false, error: { name: 'PayloadError' } });
    const info = await call(ws, id++, 'app.info', {});
    expect(info).toMatchObject({ ok: true, value: { runtime: 'browser' } });
    ws.close();
  });

  it('refuses a giant Linear stack (issue 13) with the budget, and the host stays small and usable', async () => {
    const ws = await open(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const giant = {
      layers: [
        { type: 'Linear', inFeatures: 16384, outFeatures: 16384 },
        { type: 'Linear', inFeatures: 16384, outFeatures: 16384 },
      ],
    };
    const out = await call(ws, 1, 'stack.build', { spec: giant, inputShape: [2, 16384], seed: 0 });
    expect(out).toMatchObject({
      ok: false,
      error: { name: 'ValueError', message: expect.stringContaining('over the budget of 50,000,000 parameters') },
    });
    expect(await call(ws, 2, 'step.state', {})).toMatchObject({ ok: true, value: { built: false } });
    ws.close();
  });
});
