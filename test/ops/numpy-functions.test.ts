/**
 * issue 16's jax.numpy functions (elementwise maths, reductions, NaN reductions, sorting
 * and searching) against NumPy's results (test/fixtures/numpy.json, from
 * tools/numpy-fixtures.py): dtype, shape and values.
 */
import { suite } from 'uvu';
import { checkCase, loadCases } from '../helpers/numpy-cases.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const Functions = suite(`numpy functions [${backend}]`);

for (const [name, c] of loadCases('functions')) Functions(name, () => checkCase(name, c));

Functions.run();
