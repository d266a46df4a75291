"""Expected values for test/ops/linalg-more.test.ts and test/scipy/linalg.test.ts, from NumPy and
SciPy (float64 on float32-exact inputs).

Run: /usr/bin/python3 tools/numpy-fixtures-linalg-more.py > test/fixtures/linalg_more.json
"""
import json
import numpy as np
import scipy.linalg as sl

f32 = lambda x: np.asarray(x, np.float32).astype(np.float64)
rng = np.random.default_rng(7)
r = lambda *s: f32(rng.standard_normal(s))
A = f32([[0.5, 2, -1, 3], [4, 1, 0.5, -2], [-2, 3, 5, 1], [1, -1, 2, 4]])  # nonsymmetric, cond_2 about 8
T = f32([[2, -1, 0.5], [1, 3, 1], [0, 1, -2], [4, 0.5, 1], [-1, 2, 0]])  # tall 5 x 3
b5 = f32([1, -2, 0.5, 3, 1])
B5 = f32([[1, 0], [2, -1], [0, 3], [-1, 1], [0.5, 0.5]])
R = f32([[1, 2, 3], [2, 4, 6], [1, 0, 1], [0, 1, 1]])  # 4 x 3 of rank 2
C3 = f32([[1, -0.5], [0.25, 2], [-1, 1]])  # cotangent for lstsq's x [3, 2]
X3 = r(2, 3, 4)  # stacked matrices for norms over axes (0, 2)
Cn = r(5, 3)  # cotangent direction for norms of T
Spd = f32([[4, 1, -1], [1, 3, 0.5], [-1, 0.5, 2]])
U4 = f32(np.triu(A) + 4 * np.eye(4))  # upper triangular, diagonal dominant
L4 = U4.T.copy()
W = f32([[1, 2, 0, -1, 3], [0.5, -1, 4, 2, 1], [3, 0, 1, 1, -2]])  # wide 3 x 5
Es = [f32(0.1 * r(3, 3)), f32(1.0 * r(3, 3) / 3), f32([[0.5, 3, -1], [-2, 0.25, 1], [1, 2, -1.5]]), f32([[1, 8, 0], [-6, 2, 3], [0, -4, 1]])]
Ce = r(3, 3)  # cotangent for expm
Ta = f32(r(2, 3, 6))
Tb = f32(r(2, 3))
Ti = f32(r(2, 3, 3, 2))
P = [r(2, 5), r(5, 3), r(3, 6), r(6)]
L = lambda x: np.asarray(x, dtype=np.float64).tolist()

def lstsq(a, b, rcond):
    x, res, rank, s = np.linalg.lstsq(a, b, rcond=rcond)
    return {'x': L(x), 'res': L(res), 'rank': int(rank), 's': L(s)}

u, s, vt = np.linalg.svd(T, full_matrices=False)
out = {
    'A': L(A), 'T': L(T), 'b5': L(b5), 'B5': L(B5), 'R': L(R), 'C3': L(C3), 'X3': L(X3), 'Cn': L(Cn),
    'lstsq_vec': lstsq(T, b5, None), 'lstsq_mat': lstsq(T, B5, None),
    # rank-deficient with an explicit rcond (float32's default cut would keep rounding noise that float64 drops)
    'lstsq_R': {'x': L(np.linalg.pinv(R, rcond=1e-4) @ b5[:4]), 'rank': 2, 's': L(np.linalg.svd(R, compute_uv=False))},
    'lstsq_grad_b': L(T @ np.linalg.inv(T.T @ T) @ C3),
    'rank': [int(np.linalg.matrix_rank(m)) for m in (A, R, T, np.zeros((3, 3)))],
    'cond': {str(p): float(np.linalg.cond(A, p)) for p in [None, 2, -2, 'fro', 'nuc', 1, -1, np.inf, -np.inf]},
    'cond_T': [float(np.linalg.cond(T)), float(np.linalg.cond(T, -2))],
    'norm_T': {str(o): float(np.linalg.norm(T, o)) for o in [2, -2, 'nuc']},
    'norm_X3': {str(o): L(np.linalg.norm(X3, o, axis=(0, 2), keepdims=True)) for o in [2, -2, 'nuc']},
    'grad_nuc_T': L(u @ vt), 'grad_2_T': L(np.outer(u[:, 0], vt[0])),
    'P': [L(p) for p in P], 'multi_dot': L(np.linalg.multi_dot(P)),
    'Ta': L(Ta), 'Tb': L(Tb), 'tensorsolve': L(np.linalg.tensorsolve(Ta, Tb)),
    'Ti': L(Ti), 'tensorinv': L(np.linalg.tensorinv(Ti, 2)),
    # scipy.linalg
    'Spd': L(Spd), 'U4': L(U4), 'L4': L(L4), 'W': L(W), 'c4': L(A[:, :2]),
    'st_upper': L(sl.solve_triangular(U4, A[:, :2])), 'st_lower': L(sl.solve_triangular(L4, A[:, :2], lower=True)),
    'st_upper_T': L(sl.solve_triangular(U4, A[:, 0], trans=1)), 'st_lower_unit': L(sl.solve_triangular(L4, A[:, :2], lower=True, unit_diagonal=True)),
    'chol_upper': L(sl.cholesky(Spd)), 'chol_lower': L(sl.cholesky(Spd, lower=True)),
    'cho_solve': L(sl.cho_solve(sl.cho_factor(Spd), A[:3, :2])),
    'lu_factor_A': [L(sl.lu_factor(A)[0]), [int(i) for i in sl.lu_factor(A)[1]]],
    'lu_solve_A': L(sl.lu_solve(sl.lu_factor(A), A[:, 0])), 'lu_solve_A_T': L(sl.lu_solve(sl.lu_factor(A), A[:, 0], trans=1)),
    'lu_A': [L(m) for m in sl.lu(A)], 'lu_W': [L(m) for m in sl.lu(W)], 'lu_T': [L(m) for m in sl.lu(T)],
    'lu_factor_W_piv': [int(i) for i in sl.lu_factor(W)[1]],
    'Es': [L(e) for e in Es], 'expm': [L(sl.expm(e)) for e in Es],
    'expm_norm1': [float(np.linalg.norm(e, 1)) for e in Es],
    'Ce': L(Ce), 'expm_grad': [L(sl.expm_frechet(e.T, Ce, compute_expm=False)) for e in Es],
    'toeplitz': L(sl.toeplitz([1, 2, 3, 4], [1, -1, -2])), 'toeplitz_sym': L(sl.toeplitz([1, 2, 3])),
    'circulant': L(sl.circulant([1, 2, 3, 4])), 'hilbert': L(sl.hilbert(4)),
    'block_diag': L(sl.block_diag(np.eye(2), [[5]], [1, 2, 3], 7)),
}
print(json.dumps(out, separators=(',', ':')))
