/** `scipy`: jax.scipy's `special` functions, `stats` distributions, `linalg`, `signal`, `ndimage`, `optimize`, `integrate`, `interpolate`, `cluster` and `spatial` (docs/scipy.md). */
export * as special from './special.js';
export * as stats from './stats/index.js';
export * as linalg from './linalg-namespace.js';
export * as signal from './signal.js';
export * as ndimage from './ndimage.js';
export * as optimize from './optimize.js';
export * as integrate from './integrate.js';
export * as interpolate from './interpolate.js';
export * as cluster from './cluster.js';
export * as spatial from './spatial.js';
