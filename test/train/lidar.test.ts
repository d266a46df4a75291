/**
 * LiDAR against the float64 reference of the seed's formula (test/fixtures/lidar.json, from
 * test/fixtures/lidar.py): separated, overlapping and surrogate classes, labels in any order
 * (negative too), fewer samples than dimensions; and its bounds and input errors.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lidar } from '../../lib/train/eval/lidar.js';
import { allClose } from '../helpers/assert.js';

interface Case { name: string; n: number; d: number; z: number[]; labels: number[]; delta: number; lidar: number }
const fx = JSON.parse(readFileSync(new URL('../fixtures/lidar.json', import.meta.url), 'utf8')) as { cases: Case[] };
const L = suite('lidar');

for (const c of fx.cases) {
  L(`LiDAR of ${c.name} equals the seed's formula in float64`, () => {
    // Both sides are float64; the spectra come from different solvers (Jacobi on the Cholesky-whitened
    // scatter here, LAPACK's eigh on the symmetric square root there).
    allClose([lidar(c.z, c.labels, c.n, c.d, { delta: c.delta })], [c.lidar], { rtol: 1e-9 }, 'LiDAR');
  });
}

L("docs/evaluation.md's example: three images of two views each", () => {
  const z = [1, 0, 1.1, 0, 0, 1, 0, 1.2, -1, -1, -1.1, -0.9];
  // The seed's formula in float64 (numpy) on these rows: 1.4688300913323509.
  allClose([lidar(z, [0, 0, 1, 1, 2, 2], 6, 2)], [1.4688300913323509], { rtol: 1e-9 }, 'LiDAR');
});

L('bounds: one class is NaN; identical class means give 1; k separated classes on k - 1 axes give about k - 1', () => {
  assert.ok(Number.isNaN(lidar([1, 2, 3, 4], [5, 5], 2, 2)));
  // Two classes with the same mean: no between-class scatter.
  assert.is(lidar([1, 0, -1, 0, 0, 1, 0, -1], [0, 0, 1, 1], 4, 2), 1);
  // Four classes at the corners of a regular simplex in 3-D, with a little spread.
  const corners = [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]];
  const z: number[] = [];
  const labels: number[] = [];
  corners.forEach((c, k) => {
    for (const s of [-0.01, 0.01]) for (let axis = 0; axis < 3; axis++) {
      z.push(...c.map((v, j) => v + (j === axis ? s : 0)));
      labels.push(k);
    }
  });
  allClose([lidar(z, labels, labels.length, 3)], [3], { rtol: 1e-6 }, 'simplex of 4 classes');
});

L('bad input is a one-line error naming what is wrong', () => {
  assert.throws(() => lidar([1, 2, 3], [0, 1], 2, 2), /lidar: expected 2x2 = 4 embedding values, got 3/);
  assert.throws(() => lidar([1, 2, 3, 4], [0], 2, 2), /lidar: expected 2 labels \(one per embedding\), got 1/);
  assert.throws(() => lidar([1, 2, 3, 4], [0, 1], 2, 2, { delta: 0 }), /lidar: delta must be > 0/);
  assert.throws(() => lidar([1, NaN, 3, 4], [0, 1], 2, 2), /lidar: embedding value 1 is NaN \(row 0\)/);
  assert.throws(() => lidar([1, 2, 3, 4], [0, 0.5], 2, 2), /lidar: label 1 is 0.5; labels must be integers/);
});

L.run();
