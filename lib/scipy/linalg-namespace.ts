/** `scipy.linalg` as one namespace: the solves, factorisations and special matrices of linalg.ts and the decompositions of linalg-decomp.ts (which builds on linalg.ts's expm). */
export * from './linalg.js';
export * from './linalg-decomp.js';
