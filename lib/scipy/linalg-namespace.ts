/** `scipy.linalg` as one namespace: the solves, factorisations and special matrices of linalg.ts, the decompositions of linalg-decomp.ts (which builds on linalg.ts's expm), linalg-special.ts's special matrices and linalg-hessenberg.ts's hessenberg / qrMultiply. */
export * from './linalg.js';
export * from './linalg-decomp.js';
export * from './linalg-special.js';
export * from './linalg-hessenberg.js';
