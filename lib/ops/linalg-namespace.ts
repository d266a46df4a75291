/** `np.linalg`: jax.numpy.linalg's names for the linear algebra tfjax has. */
export { norm } from './norm.js';
export { cholesky, matrixTranspose, tensordot, vecdot } from './linalg.js';
export { matmul } from './math.js';
export { det, inv, matrixPower, slogdet, solve } from './linalg-solve.js';
export { type QrMode, qr } from './linalg-qr.js';
export { type Uplo, eigh, eigvalsh } from './linalg-eigh.js';
export { pinv, svd } from './linalg-svd.js';
export {
  type MatrixNormOptions,
  type VectorNormOptions,
  cond,
  cross,
  diagonal,
  lstsq,
  matrixNorm,
  matrixRank,
  multiDot,
  outer,
  svdvals,
  tensorinv,
  tensorsolve,
  trace,
  vectorNorm,
} from './linalg-more.js';
