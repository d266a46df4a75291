/**
 * Whether training beat the raw-pixel baseline: the trained encoder's kNN against kNN on
 * raw pixels, k by k, on the same evaluation sets (the loop computes both on them), as a
 * plain sentence for the end-of-run summary and the report.
 */

export interface PixelComparison {
  /** The k at which the trained encoder's kNN is above raw pixels'. */
  readonly beaten: readonly number[];
  /** The k at which it is not (equal or below). */
  readonly notBeaten: readonly number[];
  /** The sentence that says so. */
  readonly sentence: string;
}

const list = (ks: readonly number[]) => ks.map((k) => `k=${k}`).join(' and ');
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;

/**
 * Compares kNN after training with kNN on raw pixels at each of `ks` (the evaluation sets
 * of both: `sets`, e.g. "10,000 train / 2,000 test images").
 * @example pixelComparison({ 20: 0.81, 200: 0.74 }, { 20: 0.80, 200: 0.75 }, [20, 200]).sentence
 * // 'training did not beat the raw-pixel baseline at k=200; it did at k=20 (kNN after training
 * //  minus raw pixels: +1.00 at k=20, -1.00 at k=200 points)'
 */
export function pixelComparison(after: Readonly<Record<number, number>>, pixels: Readonly<Record<number, number>>, ks: readonly number[], sets?: string): PixelComparison {
  const measured = ks.filter((k) => after[k] !== undefined && pixels[k] !== undefined);
  const beaten = measured.filter((k) => after[k]! > pixels[k]!);
  const notBeaten = measured.filter((k) => !(after[k]! > pixels[k]!));
  const diffs = `kNN after training minus raw pixels: ${measured.map((k) => `${pts(after[k]! - pixels[k]!)} at k=${k}`).join(', ')} points${sets ? `, on the same ${sets}` : ''}`;
  const sentence = !measured.length
    ? 'no kNN accuracy after training to compare with the raw-pixel baseline.'
    : !notBeaten.length
    ? `training beat the raw-pixel baseline at ${list(beaten)} (${diffs}).`
    : `training did not beat the raw-pixel baseline at ${list(notBeaten)}${beaten.length ? `; it did at ${list(beaten)}` : ''} (${diffs}).`;
  return { beaten, notBeaten, sentence };
}
