/**
 * Errors that carry PyTorch's exception type and message text, so a test (or a person) can compare
 * what the engine says with what PyTorch says, character for character.
 */

/** Base of every error the engine raises on purpose. `pyType` is the Python exception class name. */
export class EngineError extends Error {
  readonly pyType: string;
  constructor(pyType: string, message: string) {
    super(message);
    this.pyType = pyType;
    this.name = pyType;
  }
}

/** Python's ValueError: wrong input dimensions, one value per channel, non-zero channel checks. */
export class ValueError extends EngineError {
  constructor(message: string) {
    super('ValueError', message);
  }
}

/** Python's RuntimeError: size mismatches, state-dict loading, missing running stats. */
export class RuntimeError extends EngineError {
  constructor(message: string) {
    super('RuntimeError', message);
  }
}

/** Python's TypeError: wrong argument kinds. */
export class TypeError_ extends EngineError {
  constructor(message: string) {
    super('TypeError', message);
  }
}

/** Python's IndexError. */
export class IndexError extends EngineError {
  constructor(message: string) {
    super('IndexError', message);
  }
}
