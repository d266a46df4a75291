/** Loads every primitive definition and checks that the closed set is complete. */
import { allPrimitives } from '../primitive.js';
import { BINARY, COLLECTIVE, OTHER, UNARY } from '../prim-types.js';
import './elementwise.js';
import './reductions.js';
import './logsumexp.js';
import './structural.js';
import './indexing.js';
import './dot.js';
import './conv.js';
import './random.js';
import './collectives.js';

const missing = [...UNARY, ...BINARY, ...OTHER, ...COLLECTIVE].filter((p) => !allPrimitives().includes(p));
if (missing.length) throw new Error(`internal: primitives without a definition: ${missing.join(', ')}`);
