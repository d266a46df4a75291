/** Structured control flow and remat: the primitives' rules, and the user-facing `lax` namespace. */
import './scan.js';
import './cond.js';
import './while.js';
import './remat.js';
import './custom.js';
import { cond, foriLoop, scan, switchCase, whileLoop } from './api.js';

export { type RematPolicy, checkpointName, checkpointPolicies, remat } from './api.js';
export type { RematOptions, ScanOptions } from './api.js';

/** jax.lax's control flow: scan, foriLoop, whileLoop, cond, switch (see docs/core.md). */
export const lax = { scan, foriLoop, whileLoop, cond, switch: switchCase } as const;
