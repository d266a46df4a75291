"""Expected values for test/ops/linalg-*.test.ts, from NumPy (float64 on float32-exact inputs).

Run: python3 tools/numpy-fixtures-linalg.py > test/fixtures/linalg.json
"""
import json
import numpy as np

f32 = lambda x: np.asarray(x, np.float32).astype(np.float64)
# Nonsymmetric, A[0, 0] small so that partial pivoting must swap rows; cond_2 about 8.
A = f32([[0.5, 2, -1, 3], [4, 1, 0.5, -2], [-2, 3, 5, 1], [1, -1, 2, 4]])
b = f32([1, -2, 3, 0.5])
B = f32([[1, 0], [2, -1], [0, 3], [-1, 1]])
C = f32([[0.5, -1], [2, 1], [-3, 0.25], [1, 1]])  # cotangent for solve(A, B)
Ci = f32(np.arange(16).reshape(4, 4) / 8 - 1)      # cotangent for inv(A)
As = f32([[[2, 1, 0], [1, 3, 1], [0, 1, 4]], [[0, 1, 2], [3, 0, 1], [1, 1, 0]]])
Bs = f32([[[1, 2], [0, 1], [1, 0]], [[2, 0], [1, 1], [0, 3]]])
S = f32([[1, 2, 3], [2, 4, 6], [1, 0, 1]])          # singular (rank 2)
T = f32([[2, -1, 0.5], [1, 3, 1], [0, 1, -2], [4, 0.5, 1], [-1, 2, 0]])  # tall 5 x 3
W = T.T.copy()                                      # wide 3 x 5
D = f32(np.linspace(-1, 1, 15).reshape(5, 3))       # cotangents for qr(T)
E = f32([[1, -0.5, 2], [0.5, 1, -1], [2, 0.25, 1]])
Sym = f32([[4, 1, -2, 0.5], [1, 2, 0, 1], [-2, 0, 3, -1], [0.5, 1, -1, 1]])
c4 = f32([1, -2, 0.5, 3])
Cv = f32([[1, 0.5, 0, -1], [0.5, 2, 1, 0], [0, 1, -1, 0.5], [-1, 0, 0.5, 1]])

def fd(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x); e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g

def qr_obj(a):
    q, r = np.linalg.qr(a)
    return np.sum(q * D) + np.sum(r * E)

def eigvec_obj(a):
    w, v = np.linalg.eigh((a + a.T) / 2)
    return np.sum(np.outer(v[:, 0], v[:, 0]) * Cv) + np.sum(np.outer(v[:, 2], v[:, 2]) * Cv.T)

inv = np.linalg.inv
X = np.linalg.solve(A, B)
G = np.linalg.solve(A.T, C)
w, V = np.linalg.eigh(Sym)
u, s, vh = np.linalg.svd(T, full_matrices=False)
sign, logdet = np.linalg.slogdet(A)
L = lambda x: np.asarray(x).tolist()
out = {
    'A': L(A), 'b': L(b), 'B': L(B), 'C': L(C), 'Ci': L(Ci), 'As': L(As), 'Bs': L(Bs), 'S': L(S),
    'T': L(T), 'D': L(D), 'E': L(E), 'Sym': L(Sym), 'c4': L(c4), 'Cv': L(Cv),
    'solve_vec': L(np.linalg.solve(A, b)), 'solve_mat': L(X),
    'solve_batch': L(np.linalg.solve(As, Bs)), 'solve_batch_vec': L(np.linalg.solve(As, b[:3])),
    'inv': L(inv(A)), 'det': np.linalg.det(A), 'slogdet': [sign, logdet],
    'det_batch': L(np.linalg.det(As)), 'det_S': 0.0,
    'power3': L(np.linalg.matrix_power(A, 3)), 'power_neg2': L(np.linalg.matrix_power(A, -2)),
    'grad_solve_A': L(-G @ X.T), 'grad_solve_B': L(G),
    'grad_det': L(np.linalg.det(A) * inv(A).T), 'grad_logdet': L(inv(A).T),
    'grad_inv': L(-inv(A).T @ Ci @ inv(A).T),
    'qr_T': [L(m) for m in np.linalg.qr(T)], 'qr_T_complete': [L(m) for m in np.linalg.qr(T, 'complete')],
    'qr_W': [L(m) for m in np.linalg.qr(W)], 'qr_W_r': L(np.linalg.qr(W, 'r')),
    'grad_qr': L(fd(qr_obj, T)),
    'eigh_w': L(w), 'eigh_batch_w': L(np.linalg.eigvalsh(As + np.swapaxes(As, 1, 2))),
    'grad_eigvals': L(V @ np.diag(c4) @ V.T), 'grad_eigvec': L(fd(eigvec_obj, Sym)),
    'svd_s': L(s), 'svd_s_W': L(np.linalg.svd(W, compute_uv=False)), 'svd_s_S': L(np.linalg.svd(S, compute_uv=False)),
    'grad_nuclear': L(u @ vh),
    'pinv_T': L(np.linalg.pinv(T)), 'pinv_S': L(np.linalg.pinv(S)),
}
print(json.dumps(out, indent=None))
