/** `scipy`: jax.scipy's `special` functions, `stats` distributions, `linalg`, `signal`, `ndimage` and `optimize` (docs/scipy.md). */
export * as special from './special.js';
export * as stats from './stats/index.js';
export * as linalg from './linalg-namespace.js';
export * as signal from './signal.js';
export * as ndimage from './ndimage.js';
export * as optimize from './optimize.js';
