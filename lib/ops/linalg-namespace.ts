/** `np.linalg`: jax.numpy.linalg's names for the linear algebra tfjax has. */
export { norm } from './norm.js';
export { cholesky } from './linalg.js';
