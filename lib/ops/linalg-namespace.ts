/** `np.linalg`: jax.numpy.linalg's names for the linear algebra tfjax has. */
export { norm } from './norm.js';
export { cholesky } from './linalg.js';
export { det, inv, matrixPower, slogdet, solve } from './linalg-solve.js';
export { type QrMode, qr } from './linalg-qr.js';
export { type Uplo, eigh, eigvalsh } from './linalg-eigh.js';
export { pinv, svd } from './linalg-svd.js';
