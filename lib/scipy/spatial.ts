/** `scipy.spatial`: jax.scipy.spatial's `transform` (Rotation, Slerp). */
export * as transform from './spatial-transform.js';
