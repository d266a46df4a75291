/**
 * The collapse signals against numpy (test/fixtures/rankme.json, from test/fixtures/rankme.py):
 * Jacobi's eigenvalues of a symmetric matrix, the singular values of tall, wide, low-rank and
 * badly scaled embeddings, their RankMe and embedding std; and the extreme cases.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { embeddingStd, rankMe, singularValues } from '../../lib/train/eval/rankme.js';
import { symmetricEigenvalues } from '../../lib/util/jacobi.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

interface Fixture {
  symmetric: { n: number; a: number[]; eigenvalues: number[] };
  embeddings: { name: string; n: number; d: number; z: number[]; singularValues: number[]; rankMe: number; embeddingStd: number }[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/rankme.json', import.meta.url), 'utf8')) as Fixture;
const U = suite('rankme');

U('Jacobi eigenvalues of a symmetric matrix equal numpy eigvalsh', () => {
  const { n, a, eigenvalues } = fx.symmetric;
  allClose(Array.from(symmetricEigenvalues(a, n)), eigenvalues, { rtol: 1e-10, atol: 1e-12 }, 'eigenvalues');
  allClose(Array.from(symmetricEigenvalues([2, 1, 1, 2], 2)), [3, 1], { rtol: 1e-15, atol: 1e-15 }, '[[2, 1], [1, 2]]');
  assert.throws(() => symmetricEigenvalues([1, 2, 3], 2), /expected 2x2 = 4 entries, got 3/);
  assert.throws(() => symmetricEigenvalues([1, NaN, NaN, 1], 2), /entry 1 is NaN/);
});

for (const c of fx.embeddings) {
  U(`singular values, RankMe and embedding std of ${c.name} equal numpy's`, () => {
    const sv = singularValues(c.z, c.n, c.d);
    // The Gram matrix squares the condition number: the smallest singular values lose relative accuracy.
    allClose(Array.from(sv), c.singularValues, { rtol: 1e-6, atol: 1e-6 * c.singularValues[0]! }, 'singular values');
    allClose([rankMe(c.z, c.n, c.d)], [c.rankMe], { rtol: 1e-7 }, 'RankMe');
    allClose([embeddingStd(c.z, c.n, c.d)], [c.embeddingStd], { rtol: 1e-9 }, 'embedding std');
  });
}

U('collapsed embeddings: RankMe 1 and std 0; orthogonal ones: RankMe d', () => {
  const same = Array.from({ length: 8 * 4 }, (_, i) => [1, 2, 3, 4][i % 4]!);
  allClose([rankMe(same, 8, 4)], [1], { rtol: 1e-5 }, 'one direction');
  allClose([embeddingStd(same, 8, 4)], [0], { atol: 1e-12 }, 'one point');
  const eye = Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0));
  allClose([rankMe(eye, 4, 4)], [4], { rtol: 1e-5 }, 'identity');
});

U.run();
