/** A short, one-line rendering of any value for error messages (`got "fast"`, `got -3`). */
export function showValue(u: unknown): string {
  if (typeof u === 'function') return 'a function';
  if (u === undefined) return 'undefined';
  if (typeof u === 'number' && !Number.isFinite(u)) return String(u);
  let s: string;
  try {
    s = JSON.stringify(u) ?? String(u);
  } catch {
    s = String(u);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
