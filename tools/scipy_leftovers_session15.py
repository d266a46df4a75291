"""SciPy 1.10 fixtures for the jax.scipy names added late in session 15 (test/scipy/scipy-leftovers-session15.test.ts):
linalg's special matrices (hankel, companion, convolution_matrix, fiedler, fiedler_companion, hadamard,
helmert, invhilbert, invpascal, leslie, pascal), special.erfcx / dawsn / expn and their derivatives,
stats.poisson.entropy. Writes test/fixtures/scipy_leftovers_session15.json. Inputs are float32-rounded."""
import json
import os

import numpy as np
from scipy import linalg, special, stats
from scipy.spatial.transform import Rotation, Slerp

from scipy_fixture_helpers import enc, f32

out = {}


def put(name, **arrays):
    out[name] = {k: enc(v) for k, v in arrays.items()} | {k + "_shape": list(np.shape(v)) for k, v in arrays.items()}


# Special matrices: float32-exact inputs (small integers and halves), so SciPy's float64 results are float32's.
c, r = f32([1, 2, 3, 4]), f32([4, 7, 7, 8, 9])
put("hankel", c=c, r=r, out=linalg.hankel(c, r), out_c=linalg.hankel(c))
a = f32([2, -3, 1.5, 4, -1])
put("companion", a=a, out=linalg.companion(a))
for mode in ["full", "same", "valid"]:
    for n in [2, 5, 7]:
        put(f"convmat_{mode}_{n}", a=a, out=linalg.convolution_matrix(a, n, mode))
put("fiedler", a=a, out=linalg.fiedler(a))
for m in [2, 3, 4, 5, 6, 7, 8]:
    p = f32(np.arange(1, m + 1) * np.array([1, -1] * 4)[:m] + 0.5)
    put(f"fiedler_companion_{m}", a=p, out=linalg.fiedler_companion(p), roots=np.sort_complex(np.roots(p)).real)
f, s = f32([0.1, 2.0, 1.0, 0.1]), f32([0.2, 0.8, 0.7])
put("leslie", f=f, s=s, out=linalg.leslie(f, s))
put("hadamard8", out=linalg.hadamard(8))
put("helmert5", full=linalg.helmert(5, full=True), part=linalg.helmert(5))
put("invhilbert", n4=linalg.invhilbert(4, exact=True), n8=linalg.invhilbert(8, exact=True), n6f=linalg.invhilbert(6))
for kind in ["symmetric", "lower", "upper"]:
    put(f"pascal_{kind}", p=linalg.pascal(6, kind).astype(np.float64), ip=linalg.invpascal(6, kind).astype(np.float64),
        p17=linalg.pascal(17, kind).astype(np.float64))

# erfcx: both sides of the fraction's start (2), the overflow near -9.4, far tail; SciPy's derivative 2x erfcx(x) - 2/sqrt(pi).
xe = f32([-np.inf, -9.5, -9.3, -5, -1, -0.3, 0, 1e-3, 0.5, 1, 1.99, 2, 2.01, 3, 5, 10, 30, 1e3, 1e10, np.inf, np.nan])
put("erfcx", x=xe, y=special.erfcx(xe))
xg = f32([-2, -0.5, 0, 0.7, 1.9, 2.1, 4, 20])
put("erfcx_grad", x=xg, g=2 * xg * special.erfcx(xg) - 2 / np.sqrt(np.pi))
xd = f32([-np.inf, -1e5, -50, -3.2, -1, -0.19, 0, 1e-4, 0.1, 0.2, 0.21, 0.5, 0.92, 1.5, 2, 3.7, 6, 10, 99, 9999, 1e4, 1e6, 1e30, np.inf, np.nan])
put("dawsn", x=xd, y=special.dawsn(xd))
put("dawsn_grad", x=xg, g=1 - 2 * xg * special.dawsn(xg))

# expn over n and x, edges (x = 0, inf, x < 0, n < 0, NaN); derivative -E_{n-1}(x).
ns = np.array([0, 1, 2, 3, 5, 10, 25])
xs = f32([0, 1e-6, 0.01, 0.3, 0.999, 1, 1.001, 2.5, 7, 20, 80, np.inf])
nn, xx = np.meshgrid(ns, xs, indexing="ij")
put("expn", n=nn.astype(float), x=xx, y=special.expn(nn, xx))
put("expn_edges", n=f32([-1, 2, 2, 3]), x=f32([1, -1, np.nan, 0]), y=special.expn(np.array([-1, 2, 2, 3]), f32([1, -1, np.nan, 0])))
ng, xg2 = np.array([1, 2, 3, 6]), f32([0.4, 1.7, 3, 0.9])
put("expn_grad", n=ng.astype(float), x=xg2, g=-special.expn(ng - 1, xg2))

mu = f32([0, 1e-30, 1e-3, 0.5, 1, 4, 10, 29.5, 30, 31, 100, 1e4, np.inf])


def poisson_entropy(m):
    """-sum pmf log pmf in float64 over enough k (SciPy 1.10's entropy drops the k = 0 term's mu at mu = 1e-30,
    stops its sum early at mu = 1e4 and gives NaN at inf, so the sum is done here)."""
    if m == np.inf:
        return np.inf
    k = np.arange(0, int(m + 50 * np.sqrt(m) + 100))
    lp = stats.poisson.logpmf(k, m)
    p = np.exp(lp)
    return -np.sum(np.where(p > 0, p * lp, 0.0))


put("poisson_entropy", mu=mu, h=[poisson_entropy(m) for m in mu], scipy=stats.poisson.entropy(mu))

# Rotation: random unit quaternions (float32), one with w < 0; matrices, rotation vectors (incl. a tiny and a zero one), Euler angles.
rng = np.random.default_rng(1510)
q = rng.normal(size=(6, 4))
q[0] = [0, 0, 0, 1]
q[1] = [1e-4, -2e-4, 5e-5, 1]
q[2, 3] = -abs(q[2, 3])
q = f32(q / np.linalg.norm(q, axis=1, keepdims=True))
R = Rotation.from_quat(q)
m = f32(R.as_matrix())
v = f32(rng.normal(size=(6, 3)))
q2 = f32(rng.normal(size=(6, 4)))
R2 = Rotation.from_quat(q2)
put("rotation", quat=q, matrix=R.as_matrix(), rotvec=R.as_rotvec(), rotvec_deg=R.as_rotvec(degrees=True), magnitude=R.magnitude(),
    inv=R.inv().as_quat(), vectors=v, apply=R.apply(v), apply_inv=R.apply(v, inverse=True), apply_one=R[3].apply(v),
    quat2=q2, mul=(R * R2).as_quat(), m_in=m, from_matrix=Rotation.from_matrix(m).as_quat())
# from_matrix's four branches: the trace largest, and each diagonal entry largest (rotations by pi about near-axes).
mb = f32(Rotation.from_rotvec([[0.1, 0.2, 0.3], [3.0, 0.1, 0.2], [0.1, 3.0, 0.2], [0.2, 0.1, 3.0]]).as_matrix())
put("from_matrix_branches", m=mb, quat=Rotation.from_matrix(mb).as_quat())
rv = f32([[0.3, -1.2, 2.0], [1e-4, 2e-4, -1e-4], [0, 0, 0], [3.0, 0.5, -0.2]])
put("from_rotvec", rotvec=rv, quat=Rotation.from_rotvec(rv).as_quat(), quat_deg=Rotation.from_rotvec(rv * 30, degrees=True).as_quat(), rv30=rv * 30)
ang = f32(rng.uniform(-1.4, 1.4, size=(5, 3)) * np.array([2, 1, 2]))
for seq in ["xyz", "XYZ", "zyx", "ZXZ", "yzy"]:
    Re = Rotation.from_euler(seq, ang)
    put(f"euler_{seq}", angles=ang, quat=Re.as_quat(), back=Re.as_euler(seq), of_random=R.as_euler(seq))
put("euler_single", quat_x=Rotation.from_euler("x", f32([0.5, -1.0])).as_quat(), quat_deg=Rotation.from_euler("XY", f32([30, 45]), degrees=True).as_quat())
times = f32([0, 1, 2.5, 4])
kq = q[2:6]
sl = Slerp(times, Rotation.from_quat(kq))
ts = f32([0, 0.3, 1, 1.7, 2.5, 3.9, 4])
put("slerp", times=times, quat=kq, t=ts, out=sl(ts).as_quat())

# hessenberg (a symmetric 4 x 4, a general 5 x 5, one with a column already reduced) and qr_multiply both modes.
ha = f32([[4, 1, 2, 3], [1, 3, 0, 1], [2, 0, 2, 5], [3, 1, 5, 1]])
hb = f32(rng.normal(size=(5, 5)))
hc = f32([[1, 2, 3], [0, 4, 5], [0, 6, 7]])
for name, mat in [("sym4", ha), ("gen5", hb), ("reduced3", hc)]:
    h, hq = linalg.hessenberg(mat, calc_q=True)
    put(f"hessenberg_{name}", a=mat, h=h, q=hq)
qa = f32(rng.normal(size=(5, 3)))
cl, cr = f32(rng.normal(size=(3, 2))), f32(rng.normal(size=(4, 5)))
put("qr_multiply", a=qa, cl=cl, cr=cr, left=linalg.qr_multiply(qa, cl, mode="left")[0], right=linalg.qr_multiply(qa, cr)[0],
    r=linalg.qr_multiply(qa, cr)[1])

# bessel_jn: J_0 .. J_6 (negative z, z = 0, tiny z where JAX's float32 recurrence overflows, up to 20).
zj = f32([-7.5, -1, 0, 1e-3, 0.5, 1, 3, 10, 20])
put("bessel_jn", z=zj, j=np.stack([special.jv(k, zj) for k in range(7)]))
# lpmn (n = m = 4) at interior points: values and derivatives [m, l, x]; lpmn_values normalized = Re Y_l^m(theta, 0).
xl = f32([-0.9, -0.3, 0, 0.5, 0.95])
pv = np.stack([special.lpmn(4, 4, t)[0] for t in xl], -1)
pd = np.stack([special.lpmn(4, 4, t)[1] for t in xl], -1)
mm, ll = np.meshgrid(np.arange(5), np.arange(5), indexing="ij")
with np.errstate(all="ignore"):
    pn = np.where((mm <= ll)[..., None], special.sph_harm(mm[..., None], ll[..., None], 0.0, np.arccos(xl)).real, 0.0)
put("lpmn", x=xl, p=pv, dp=pd, pn=pn)

# sici and fresnel: both sides of the series / fraction switch (4; 1.8), negative x, 0, inf, NaN.
xsi = f32([-np.inf, -20, -3, -1e-3, 0, 1e-4, 0.5, 2, 3.99, 4.01, 7, 15, 40, 100, np.inf, np.nan])
si, ci = special.sici(xsi)
put("sici", x=xsi, si=si, ci=ci)
# fresnel: x^2 exact in float32 beyond the switch (the fraction's cos(pi x^2 / 2) takes float32's x^2, as JAX's).
xfr = f32([-np.inf, -2.5, -0.7, 0, 1e-3, 0.3, 1, 1.75, 1.85, 2, 3, 4.5, 7.25, 20, np.inf, np.nan])
fs, fc = special.fresnel(xfr)
put("fresnel", x=xfr, s=fs, c=fc)

# hyp1f1 over a, b, x (Taylor side, asymptotic side of |x| = 100, Kummer's side x < 0); a = 0, a = b, b = 0 (JAX's cases).
ha1, hb1, hx1 = np.meshgrid(f32([-2.5, 0.5, 1, 3]), f32([0.5, 1.5, 4.5]), f32([-150, -30, -3, 0, 0.5, 5, 40, 70]), indexing="ij")
put("hyp1f1", a=ha1, b=hb1, x=hx1, y=special.hyp1f1(ha1, hb1, hx1))
# Both sides of |x| = 100 where 1F1 stays in float32's range (large b).
ha2, hb2, hx2 = np.meshgrid(f32([0.5, 2]), f32([30.5, 40.5]), f32([-120, -99, 99, 101, 120]), indexing="ij")
put("hyp1f1_far", a=ha2, b=hb2, x=hx2, y=special.hyp1f1(ha2, hb2, hx2))
ga, gb, gx = f32([0.5, 1.2, 2.0, -0.7]), f32([1.5, 2.5, 0.8, 1.3]), f32([0.7, -2.0, 3.0, 1.5])
dh = 1e-6
put("hyp1f1_grad", a=ga, b=gb, x=gx, dx=ga / gb * special.hyp1f1(ga + 1, gb + 1, gx),
    da=(special.hyp1f1(ga + dh, gb, gx) - special.hyp1f1(ga - dh, gb, gx)) / (2 * dh),
    db=(special.hyp1f1(ga, gb + dh, gx) - special.hyp1f1(ga, gb - dh, gx)) / (2 * dh))

# owens_t: quadrature (|a| <= 1) and reflected (|a| > 1) sides, h < 0, a < 0, a = inf, deep tails; d/da in closed form.
oh = f32([0, 0.5, 1, 3, 10, -2, 1, 0.5, 5, 2, 1, 0, 7, 1, np.nan])
oa = f32([0.5, 1, 0.3, 0.9, 1, 0.5, 2, 10, 3, -4, np.inf, 100, 0.01, 0, 1])
put("owens_t", h=oh, a=oa, t=special.owens_t(oh, oa), dtda=np.exp(-oh**2 * (1 + oa**2) / 2) / (2 * np.pi * (1 + oa**2)))

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "scipy_leftovers_session15.json")
with open(path, "w") as fh:
    json.dump(out, fh, separators=(",", ":"))
print(path, os.path.getsize(path))
