/**
 * The training program's errors as the CLI reports them: one line naming what failed and
 * where (the stack with `TFJAX_DEBUG=1`).
 */

/** A failure of the run that is not a configuration error (the CLI exits with 1). */
export class TrainError extends Error {
  override readonly name = 'TrainError';
}

/**
 * A Node system error (`fs` and the like) as one line naming the path, or null for any other
 * value: `cannot mkdir runs/x: permission denied (EACCES)`.
 */
export function systemErrorLine(e: unknown): string | null {
  const s = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof s.code !== 'string' || typeof s.syscall !== 'string') return null;
  // Node's message is `CODE: description, syscall 'path'`.
  const what = /^[A-Z0-9_]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
  const dest = (s as { dest?: unknown }).dest;
  return `cannot ${s.syscall}${s.path ? ` ${s.path}` : ''}${typeof dest === 'string' ? ` to ${dest}` : ''}: ${what} (${s.code})`;
}
