/**
 * Training defaults shared by the engine, the host, the CLI and the window (dependency-free, so
 * app/shared re-exports it for the window's fields).
 */

/** The learning rate of a training step when none is given. */
export const DEFAULT_LR = 0.1;
