/** Pytrees (pytree.ts) and Equinox-style filtering of them (filter.ts). */
export * from './pytree.js';
export * from './filter.js';
