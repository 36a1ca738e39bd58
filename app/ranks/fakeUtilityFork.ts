/**
 * For tests only: a stand-in for Electron's utilityProcess.fork (whose binary is not available in CI)
 * that starts the module with child_process. Its IPC channel plays process.parentPort's part; the
 * rank uses the channel data plane, as a real utility process does.
 */
import { spawn } from 'node:child_process';
import type { UtilityFork } from './rankProcess.js';

export const childProcessUtilityFork: UtilityFork = (modulePath, args, options) => {
  const tsx = modulePath.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const cp = spawn(process.execPath, [...tsx, modulePath, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: options.env,
  });
  return {
    pid: cp.pid,
    stderr: cp.stderr,
    postMessage: (m: unknown) => void (cp.connected && cp.send(m as never)),
    kill: () => cp.kill('SIGKILL'),
    on(event: 'message' | 'exit', fn: (x: never) => void) {
      if (event === 'message') cp.on('message', (m) => fn(m as never));
      else cp.on('exit', (code) => fn((code ?? -1) as never));
      return this;
    },
  };
};
