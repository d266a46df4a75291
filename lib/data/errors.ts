/**
 * The one error type thrown by `lib/data`. Every message names the dataset or file at
 * fault and what was wrong with it, e.g. `cannot decode photos/cat/3.png: <reason>`.
 */
export class DataError extends Error {
  /** The file or dataset the error is about. */
  readonly source: string;

  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
    this.source = source;
  }
}

/** The message of an unknown thrown value, for embedding in a `DataError`. */
export function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
