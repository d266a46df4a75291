"""Writes test/fixtures/linalg_sweep.json for test/ops/linalg-sweep.test.ts: NumPy 1.24 /
SciPy 1.10 float64 values of np.linalg (svd/pinv hermitian, cond of a singular matrix) and
scipy.linalg (polar, solve_sylvester, expm_frechet, eigh_tridiagonal, qr modes) at small,
well-conditioned float32-representable inputs."""
import json
import numpy as np
import scipy.linalg as sl

r = lambda x: np.round(np.asarray(x, dtype=np.float64), 12).tolist()
H = np.array([[2, 1, 0], [1, -3, 0.5], [0, 0.5, 1]])  # symmetric, indefinite
P = np.array([[1.5, 0.5], [-0.25, 2.0], [0.75, -1.0]])  # 3 x 2
A = np.array([[3.0, 1, 0], [0.5, 2, 0.25], [0, -0.5, 4]])
B = np.array([[1.0, 0.5], [-0.25, 2]])
Q = np.array([[1.0, 2], [3, 4], [5, 6]])
E = np.array([[0.5, -1, 0.25], [1, 0, 0.5], [-0.5, 0.75, 1]])
Am = A / 4
d = np.array([2.0, -1, 3, 0.5])
e = np.array([1.0, 0.5, -0.75])
out = {
    "H": r(H), "svd_h_s": r(np.linalg.svd(H, compute_uv=False, hermitian=True)),
    "pinv_h": r(np.linalg.pinv(H, hermitian=True)),
    "P": r(P),
    "polar_right": [r(m) for m in sl.polar(P, "right")],
    "polar_left": [r(m) for m in sl.polar(P.T, "left")],
    "A": r(A), "B": r(B), "Q": r(Q), "sylvester": r(sl.solve_sylvester(A, B, Q)),
    "Am": r(Am), "E": r(E), "frechet": [r(m) for m in sl.expm_frechet(Am, E)],
    "d": r(d), "e": r(e), "tridiag": r(sl.eigh_tridiagonal(d, e, eigvals_only=True)),
    "qr_r": r(sl.qr(P, mode="r")[0]),
}
json.dump(out, open("test/fixtures/linalg_sweep.json", "w"))
