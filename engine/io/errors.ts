/**
 * Typed errors for checkpoint reading and writing: one class per format, all extending
 * CheckpointError (which extends the engine's EngineError), so callers can catch "bad file" as one
 * thing and still tell which reader refused it. Messages name the byte offset where one is known.
 */
import { EngineError } from '../errors.js';

export class CheckpointError extends EngineError {
  constructor(message: string, pyType = 'CheckpointError') {
    super(pyType, message);
  }
}

/** Malformed or over-limit pickle data. `offset` is the byte offset of the opcode, when known. */
export class PickleError extends CheckpointError {
  readonly offset: number | null;
  constructor(message: string, offset: number | null = null) {
    super(offset === null ? message : `${message} (at byte ${offset})`, 'PickleError');
    this.offset = offset;
  }
}

/** A pickle asked for a global outside the allow-list; nothing was executed. */
export class RefusedGlobalError extends PickleError {
  readonly global: string;
  constructor(global: string, offset: number) {
    super(`refused global '${global}': not in the allow-list of safe checkpoint globals`, offset);
    this.global = global;
  }
}

export class TorchZipError extends CheckpointError {
  constructor(message: string) {
    super(message, 'TorchZipError');
  }
}

export class LegacyTorchError extends CheckpointError {
  constructor(message: string) {
    super(message, 'LegacyTorchError');
  }
}

/**
 * Writing a file failed (full disk, quota, read-only or forbidden folder). The write was atomic: the
 * target is untouched and the temp file is gone. `code` is the system's error code (ENOSPC, …).
 */
export class WriteError extends CheckpointError {
  readonly code: string | null;
  constructor(message: string, code: string | null) {
    super(message, 'WriteError');
    this.code = code;
  }
}

export class SafetensorsError extends CheckpointError {
  constructor(message: string) {
    super(message, 'SafetensorsError');
  }
}

/**
 * Runs a reader and turns any non-checkpoint exception (a RangeError from a bad length, a JSON
 * SyntaxError, ...) into the format's typed error, so a malformed file never escapes as a crash.
 */
export function typed<T>(fn: () => T, make: (msg: string) => CheckpointError): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw make(`malformed input: ${msg}`);
  }
}
