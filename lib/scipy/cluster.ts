/** `scipy.cluster`: jax.scipy.cluster's vq module. */
export * as vq from './cluster-vq.js';
