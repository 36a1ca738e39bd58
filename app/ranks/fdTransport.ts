/**
 * The rank's side of the ipc data plane: a blocking request/response over an inherited pipe fd.
 * fs.writeSync / fs.readSync block the rank exactly like a PyTorch rank blocks in a collective; the
 * coordinator guarantees an answer (result or error) within the collective's timeout, and end of
 * file means the coordinator died, which this reports as an error instead of hanging.
 */
import fs from 'node:fs';
import type { IpcRequest, IpcResponse, SyncTransport } from '../../engine/index.js';
import { decodeBody, encodeFrame, FRAME_PREFIX, frameLengths } from './frames.js';

export class FdTransport implements SyncTransport {
  constructor(private readonly fd: number) {}

  request(header: IpcRequest, payload: Float64Array): { header: IpcResponse; payload: Float64Array } {
    this.writeAll(encodeFrame(header, payload));
    const prefix = this.readExactly(FRAME_PREFIX);
    const { headerBytes, values } = frameLengths(prefix);
    const body = this.readExactly(headerBytes + values * 8);
    return decodeBody<IpcResponse>(body, headerBytes, values);
  }

  private writeAll(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) {
      try {
        off += fs.writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw new Error(`the coordinator's pipe is closed (${(e as Error).message})`);
      }
    }
  }

  private readExactly(n: number): Buffer {
    const buf = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      let got: number;
      try {
        got = fs.readSync(this.fd, buf, off, n - off, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw new Error(`the coordinator's pipe failed (${(e as Error).message})`);
      }
      if (got === 0) throw new Error('the coordinator closed the pipe (it exited or stopped the group)');
      off += got;
    }
    return buf;
  }
}
