/**
 * Winograd's minimal filtering algorithms F(m x m, 3x3) used by the wasm convolution
 * kernels (Lavin & Gray 2015): each m x m block of outputs ("tile") reads an α x α input
 * window d (α = m + 2) and
 *
 *   y_tile = A^T [ sum over c of (G g_c G^T) ∘ (B^T d_c B) ] A
 *
 * so a tile costs α² multiply-adds per channel pair instead of the direct 9 m²: F(2x2)
 * 16 for 4 outputs (2.25x fewer), F(4x4) 36 for 16 outputs (4x fewer).
 *
 * F(2x2)'s coefficients are 0, ±1 and ±½ (exact); F(4x4)'s (interpolation points 0, ±1,
 * ±2, ∞) go up to 5 in B^T and 8 in A^T, and G holds 1/6, 1/12 and 1/24, which float32
 * rounds: its transforms round more often and over larger sums, so its error bound
 * (test/backend/wasm-winograd.test.ts, {@link roundingsPerTerm}) is looser.
 */

/** One algorithm F(m x m, 3x3): the transform matrices as rows. */
export interface WinogradScheme {
  /** Outputs per tile side. */
  readonly m: 2 | 4;
  /** α = m + 2: the input window's side and the number of transformed positions per side. */
  readonly alpha: number;
  /** α x α: V = B^T d B. */
  readonly BT: readonly (readonly number[])[];
  /** α x 3: U = G g G^T. */
  readonly G: readonly (readonly number[])[];
  /** m x α: y = A^T M A. */
  readonly AT: readonly (readonly number[])[];
}

export const F2x2: WinogradScheme = {
  m: 2,
  alpha: 4,
  BT: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  G: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
};

export const F4x4: WinogradScheme = {
  m: 4,
  alpha: 6,
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

/** The scheme of tile side m. */
export const schemeFor = (m: 2 | 4): WinogradScheme => (m === 4 ? F4x4 : F2x2);

/** The transpose of a small matrix given as rows. */
export const transposed = (a: readonly (readonly number[])[]): number[][] => a[0]!.map((_, j) => a.map((row) => row[j]!));

const exactScale = (c: number) => c === 0 || Number.isInteger(Math.log2(Math.abs(c)));

/**
 * The most float32 roundings one term of a row of L x (sum of a row's non-zero terms,
 * each multiplied by its coefficient, as wasm-winograd-tiles.ts's emitter evaluates it)
 * can carry: one per addition, plus, where a coefficient is not a power of two, the
 * multiplication and the coefficient's own rounding to float32.
 */
export function roundingsPerTerm(L: readonly (readonly number[])[]): number {
  return Math.max(...L.map((row) => {
    const terms = row.filter((c) => c !== 0);
    return terms.length - 1 + (terms.every(exactScale) ? 0 : 2);
  }));
}
