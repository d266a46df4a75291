/** Covariance and correlation matrices (numpy's cov and corrcoef). */
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';
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

/** The options object, or y (or null) with the other positional arguments (NumPy's order). */
function covOptions(yOrOptions: NdArray | null | CovOptions, rest: Omit<CovOptions, 'y'>): CovOptions {
  return yOrOptions === null || isArray(yOrOptions) ? { ...rest, y: yOrOptions ?? undefined } : yOrOptions;
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
 * The second argument is `{ y, rowvar, bias, ddof }`, or y (or null), rowvar, bias, ddof (NumPy's order).
 * @example np.cov(np.stack([x, y])) // [2, 2]; np.cov(x, y) // the same
 */
export function cov(m: NdArray, yOrOptions: NdArray | null | CovOptions = {}, rowvarArg?: boolean, biasArg?: boolean, ddofArg?: number): NdArray {
  const { y, rowvar = true, bias = false, ddof } = covOptions(yOrOptions, { rowvar: rowvarArg, bias: biasArg, ddof: ddofArg });
  let x = variables(m, rowvar, 'cov');
  if (y) x = concatenate([x, variables(y, rowvar, 'cov')], 0);
  const [v, n] = shapeOf(x);
  const centred = sub(x, mean(x, 1, true));
  const c = div(matmul(centred, lax.transpose(centred, [1, 0])), n - (ddof ?? (bias ? 0 : 1)));
  return v === 1 ? squeeze(c) : c;
}

/** Pearson correlation coefficients (numpy's corrcoef), clipped to [-1, 1]. */
export function corrcoef(m: NdArray, yOrOptions: NdArray | null | Pick<CovOptions, 'y' | 'rowvar'> = {}, rowvarArg?: boolean): NdArray {
  const { y, rowvar = true } = covOptions(yOrOptions, { rowvar: rowvarArg });
  const c = cov(m, { y, rowvar });
  if (shapeOf(c).length === 0) return div(c, c);
  const d = sqrt(diagonal(c));
  return clip(div(c, outer(d, d)), -1, 1);
}
