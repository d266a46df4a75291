/** `scipy`: jax.scipy's `special` functions and `stats` distributions (docs/scipy.md). */
export * as special from './special.js';
export * as stats from './stats/index.js';
export * as linalg from './linalg.js';
