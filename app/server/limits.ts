/**
 * Budgets of browser mode: what one server accepts at once, so a local process (with or without the
 * token) cannot exhaust memory or sockets. Every refusal names the budget and the `serve` flag that
 * raises it. The model budget (parameters, activation bytes) is the engine's StackBudget.
 */
import { DEFAULT_STACK_BUDGET, type StackBudget } from '../../engine/index.js';

export interface ServerLimits {
  /** Open TCP connections (HTTP and WebSocket together). */
  maxConnections: number;
  /** Largest WebSocket message (bytes). */
  maxMessageBytes: number;
  /** Calls one WebSocket may have waiting for their results. */
  maxInFlight: number;
  /** Largest file the window may upload (upload.ts). */
  maxUploadBytes: number;
  /** Largest built model. */
  stack: StackBudget;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 64,
  maxMessageBytes: 16 * 1024 * 1024,
  maxInFlight: 32,
  maxUploadBytes: 4 * 2 ** 30,
  stack: DEFAULT_STACK_BUDGET,
};

/** The `serve` flag that raises each budget (named in refusals and in --help). */
export const LIMIT_FLAGS = {
  maxConnections: '--max-connections',
  maxMessageBytes: '--max-message-mib',
  maxInFlight: '--max-in-flight',
  maxUploadBytes: '--max-upload-mib',
  maxParameters: '--max-parameters',
  maxActivationBytes: '--max-activation-mib',
} as const;

export const limitMessages = {
  connections: (n: number) =>
    `NormScope: too many connections (budget: ${n} at once; raise it with \`normscope serve ${LIMIT_FLAGS.maxConnections} N\`)`,
  message: (n: number) =>
    `message over the budget of ${(n / 2 ** 20).toFixed(0)} MiB (raise it with \`normscope serve ${LIMIT_FLAGS.maxMessageBytes} N\`)`,
  inFlight: (n: number) =>
    `too many calls in flight on this connection (budget: ${n}; raise it with \`normscope serve ${LIMIT_FLAGS.maxInFlight} N\`)`,
  stackHint: () =>
    `raise it with \`normscope serve ${LIMIT_FLAGS.maxParameters} N\` or \`${LIMIT_FLAGS.maxActivationBytes} N\``,
};
