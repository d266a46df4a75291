/** Covariance and correlation matrices (numpy's cov and corrcoef). */
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { clip, div, matmul, mean, sqrt, sub } from './math.js';
import { atleast2d } from './manipulation.js';
import { concatenate, squeeze } from './shape.js';
import { diagonal, outer } from './linalg.js';

export interface CovOptions {
  /** Another set of variables, stacked after m's. */
  readonly y?: NdArray;
  /** Whether each row is a variable (default true); else each column is. */
  readonly rowvar?: boolean;
  /** Normalise by N (true) or N - 1 (false, default); `ddof` overrides both. */
  readonly bias?: boolean;
  readonly ddof?: number;
}

/** The variables as rows [V, N]. */
function variables(m: NdArray, rowvar: boolean, op: string): NdArray {
  if (shapeOf(m).length > 2) throw new Error(`${op}: need a 1-D or 2-D array, got ${shapeStr(shapeOf(m))}`);
  const x = atleast2d(m);
  return !rowvar && shapeOf(m).length === 2 ? lax.transpose(x, [1, 0]) : x;
}

/**
 * The covariance matrix of the variables (rows of m by default), as numpy's cov; a single
 * variable gives a scalar.
 * @example np.cov(np.stack([x, y])) // [2, 2]
 */
export function cov(m: NdArray, { y, rowvar = true, bias = false, ddof }: CovOptions = {}): NdArray {
  let x = variables(m, rowvar, 'cov');
  if (y) x = concatenate([x, variables(y, rowvar, 'cov')], 0);
  const [v, n] = shapeOf(x);
  const centred = sub(x, mean(x, 1, true));
  const c = div(matmul(centred, lax.transpose(centred, [1, 0])), n - (ddof ?? (bias ? 0 : 1)));
  return v === 1 ? squeeze(c) : c;
}

/** Pearson correlation coefficients (numpy's corrcoef), clipped to [-1, 1]. */
export function corrcoef(m: NdArray, { y, rowvar = true }: Pick<CovOptions, 'y' | 'rowvar'> = {}): NdArray {
  const c = cov(m, { y, rowvar });
  if (shapeOf(c).length === 0) return div(c, c);
  const d = sqrt(diagonal(c));
  return clip(div(c, outer(d, d)), -1, 1);
}
