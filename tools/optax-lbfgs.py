"""Reference trajectories for test/optim/optax-lbfgs.test.ts: optax's L-BFGS (_src/transform.py
scale_by_lbfgs, _src/alias.py lbfgs) and its line searches (_src/linesearch.py
scale_by_zoom_linesearch, scale_by_backtracking_linesearch) re-implemented in float64 numpy on
flat vectors (a pytree's vdot is the dot product of its concatenated leaves). No optax needed.
Run: python3 tools/optax-lbfgs.py (writes test/fixtures/optax_lbfgs.json)."""
import json, os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))

# --- objectives -----------------------------------------------------------------------------
def rosenbrock(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))

def rosenbrock_grad(x):
    g = np.zeros_like(x)
    d = x[1:] - x[:-1] ** 2
    g[:-1] += -400.0 * x[:-1] * d - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * d
    return g

# A fixed SPD quadratic 0.5 x'Ax - b'x over 5 coordinates (the TS test splits them a:[2], b:[3]).
A = np.array([[4.0, 1.0, 0.5, 0.0, 0.2], [1.0, 3.0, 0.3, 0.1, 0.0], [0.5, 0.3, 2.0, 0.4, 0.1],
              [0.0, 0.1, 0.4, 1.5, 0.3], [0.2, 0.0, 0.1, 0.3, 0.8]])
B = np.array([1.0, -2.0, 0.5, 3.0, -1.0])
def quad(x): return float(0.5 * x @ A @ x - B @ x)
def quad_grad(x): return A @ x - B

# --- scale_by_lbfgs ---------------------------------------------------------------------------
def lbfgs_t(m=10, scale_init=True):
    def init(p):
        return dict(count=0, params=np.zeros_like(p), updates=np.zeros_like(p),
                    dw=np.zeros((m,) + p.shape), du=np.zeros((m,) + p.shape), rho=np.zeros(m))
    def update(u, s, p):
        idx, prev = s['count'] % m, (s['count'] - 1) % m
        started = s['count'] > 0
        dw = p - s['params'] if started else np.zeros_like(p)
        du = u - s['updates'] if started else np.zeros_like(p)
        vd = du @ dw
        w = (0.0 if vd == 0 else 1.0 / vd) if started else 0.0
        DW, DU, RHO = s['dw'].copy(), s['du'].copy(), s['rho'].copy()
        DW[prev], DU[prev], RHO[prev] = dw, du, w
        if scale_init:
            den = du @ du
            gamma = (du @ dw) / den if den > 0 else 1.0
            if not started:
                gamma = min(1.0, 1.0 / np.linalg.norm(u))
        else:
            gamma = 1.0
        order = [(idx + k) % m for k in range(m)]
        vec, alphas = u.copy(), {}
        for i in reversed(order):
            alphas[i] = RHO[i] * (DW[i] @ vec)
            vec = vec - alphas[i] * DU[i]
        vec = gamma * vec
        for i in order:
            beta = RHO[i] * (DU[i] @ vec)
            vec = vec + (alphas[i] - beta) * DW[i]
        return vec, dict(count=s['count'] + 1, params=p, updates=u, dw=DW, du=DU, rho=RHO)
    return init, update

# --- zoom line search -------------------------------------------------------------------------
def violation(e): return np.inf if np.isnan(e) else max(e, 0.0)

def cubicmin(a, fa, fpa, b, fb, c, fc):
    with np.errstate(all='ignore'):
        db, dc = b - a, c - a
        denom = (db * dc) ** 2 * (db - dc)
        x, y = fb - fa - fpa * db, fc - fa - fpa * dc
        A_ = (dc ** 2 * x - db ** 2 * y) / denom
        B_ = (-(dc ** 3) * x + db ** 3 * y) / denom
        return a + (-B_ + np.sqrt(B_ * B_ - 3.0 * A_ * fpa)) / (3.0 * A_)

def quadmin(a, fa, fpa, b, fb):
    with np.errstate(all='ignore'):
        B_ = (fb - fa - fpa * (b - a)) / (b - a) ** 2
        return a - fpa / (2.0 * B_)

def zoom_t(max_steps, max_lr=None, tol=0.0, inc=2.0, c1=1e-4, c2=0.9, c3=1e-6, prec=1e-5, guess='keep'):
    def dec_err(t, v, sl, v0, s0):
        e = v - v0 - c1 * t * s0
        if c3 is not None:
            e = min(max(sl - (2 * c1 - 1.0) * s0, v - v0 - c3 * abs(v0)), e)
        return violation(e)
    def curv_err(sl, s0): return violation(abs(sl) - c2 * abs(s0))
    def init(p): return dict(lr=1.0, value=np.inf, grad=np.zeros_like(p), steps=0)
    def update(u, s, p, value, grad, fn, gfn):
        v0, s0 = value, u @ grad
        g0 = 1.0 if guess == 'one' else s['lr']
        def on_line(t):
            q = p + t * u
            g = gfn(q)
            return fn(q), g, g @ u
        S = dict(count=0, t=0.0, v=v0, g=grad, sl=s0, de=np.inf, ce=np.inf, found=False, done=False, failed=False,
                 lo=0.0, vlo=v0, slo=s0, hi=0.0, vhi=v0, shi=s0, cref=0.0, vcref=v0, st=0.0, sv=v0, sg=grad)
        while not (S['done'] or S['failed']):
            n = S['count']
            if not S['found']:  # interval search, algorithm 3.5
                t = g0 if n == 0 else inc * S['t']
                reached = False
                if max_lr is not None:
                    reached, t = t >= max_lr, min(t, max_lr)
                v, g, sl = on_line(t)
                de, ce = dec_err(t, v, sl, v0, s0), curv_err(sl, s0)
                err = max(de, ce)
                if de <= tol:
                    S['st'], S['sv'], S['sg'] = t, v, g
                high_new = de > 0 or (v >= S['v'] and n > 0)
                low_new = sl >= 0 and not high_new
                if low_new:
                    lo, vlo, slo, hi, vhi, shi = t, v, sl, S['t'], S['v'], S['sl']
                else:
                    lo, vlo, slo, hi, vhi, shi = S['t'], S['v'], S['sl'], t, v, sl
                found = high_new or low_new or err <= tol
                done = err <= tol or (reached and not found)
                S.update(count=n + 1, t=t, v=v, g=g, sl=sl, de=de, ce=ce, found=found, done=done,
                         failed=(n + 1 >= max_steps) and not done, lo=lo, vlo=vlo, slo=slo, hi=hi, vhi=vhi,
                         shi=shi, cref=lo, vcref=vlo)
            else:  # zoom, algorithm 3.6
                lo, vlo, slo, hi, vhi, shi = S['lo'], S['vlo'], S['slo'], S['hi'], S['vhi'], S['shi']
                delta, left, right = abs(hi - lo), min(hi, lo), max(hi, lo)
                cub = cubicmin(lo, vlo, slo, hi, vhi, S['cref'], S['vcref'])
                qd = quadmin(lo, vlo, slo, hi, vhi)
                if left + 0.2 * delta < cub < right - 0.2 * delta: mid = cub
                elif left + 0.1 * delta < qd < right - 0.1 * delta: mid = qd
                else: mid = (lo + hi) / 2.0
                v, g, sl = on_line(mid)
                de, ce = dec_err(mid, v, sl, v0, s0), curv_err(sl, s0)
                done = max(de, ce) <= tol
                if de <= tol and v < S['sv']:
                    S['st'], S['sv'], S['sg'] = mid, v, g
                high_mid = de > 0 or v >= vlo
                high_low = sl * (hi - lo) >= 0 and not high_mid
                nhi, nvhi, nshi = (lo, vlo, slo) if high_low else ((mid, v, sl) if high_mid else (hi, vhi, shi))
                nlo, nvlo, nslo = (lo, vlo, slo) if high_mid else (mid, v, sl)
                cref, vcref = (hi, vhi) if (high_mid or high_low) else (lo, vlo)
                failed = ((n + 1) >= max_steps or (delta <= prec and S['st'] > 0)) and not done
                S.update(count=n + 1, t=mid, v=v, g=g, sl=sl, de=de, ce=ce, done=done, failed=failed,
                         lo=nlo, vlo=nvlo, slo=nslo, hi=nhi, vhi=nvhi, shi=nshi, cref=cref, vcref=vcref)
            if S['failed'] and (S['st'] > 0 or np.isinf(S['de'])):
                S['t'], S['v'], S['g'] = S['st'], S['sv'], S['sg']
        return S['t'] * u, dict(lr=S['t'], value=S['v'], grad=S['g'], steps=S['count'])
    return init, update

# --- backtracking line search -----------------------------------------------------------------
def backtracking_t(max_steps, c=1e-4, dec=0.8, inc=1.5, max_lr=1.0, atol=0.0, rtol=0.0):
    def init(p): return dict(lr=1.0, value=np.inf, steps=0)
    def update(u, s, p, value, grad, fn, gfn):
        slope = u @ grad
        lr, de, it, nv = min(inc * s['lr'], max_lr), np.inf, 0, value
        while not (de <= atol) and it <= max_steps:
            if it > 0: lr = dec * lr
            nv = fn(p + lr * u)
            de = violation(nv - (1.0 + rtol) * value - lr * c * slope)
            it += 1
        lr = 0.0 if np.isinf(de) else lr
        return lr * u, dict(lr=lr, value=nv, steps=it)
    return init, update

# --- drivers ----------------------------------------------------------------------------------
def run(direction, ls, fn, gfn, x0, steps, lr_scale=-1.0):
    """chain(direction, scale(lr_scale), ls): each step from value/grad at the current point."""
    p = np.array(x0, dtype=np.float64)
    sd, sl = direction[0](p), ls[0](p)
    out = []
    for _ in range(steps):
        v, g = fn(p), gfn(p)
        d, sd = direction[1](g, sd, p)
        u, sl = ls[1](lr_scale * d, sl, p, v, g, fn, gfn)
        p = p + u
        out.append(dict(params=p.tolist(), value=fn(p), stepsize=float(sl['lr']), linesearch_steps=int(sl['steps'])))
    return out

def identity_t(): return (lambda p: {}), (lambda g, s, p: (g, s))

R0, Q0 = [-1.2, 1.0], [0.5, -1.0, 2.0, 0.0, 1.0]
cases = {
    'lbfgs_rosenbrock': run(lbfgs_t(), zoom_t(20, guess='one'), rosenbrock, rosenbrock_grad, R0, 10),
    'lbfgs_quadratic_m3': run(lbfgs_t(3), zoom_t(20, guess='one'), quad, quad_grad, Q0, 10),
    'lbfgs_quadratic_noscale': run(lbfgs_t(10, False), zoom_t(20, guess='one'), quad, quad_grad, Q0, 10),
    'sgd_zoom_rosenbrock': run(identity_t(), zoom_t(15), rosenbrock, rosenbrock_grad, R0, 10),
    'sgd_backtracking_rosenbrock': run(identity_t(), backtracking_t(60), rosenbrock, rosenbrock_grad, R0, 10),
    'sgd_backtracking_quadratic': run(identity_t(), backtracking_t(30, c=0.3, dec=0.5, max_lr=2.0), quad, quad_grad, Q0, 10),
}
# Convergence: L-BFGS steps until the Rosenbrock gradient norm falls below 1e-3 (float64).
conv = run(lbfgs_t(), zoom_t(20, guess='one'), rosenbrock, rosenbrock_grad, R0, 60)
n_conv = next(i + 1 for i, c in enumerate(conv) if np.linalg.norm(rosenbrock_grad(np.array(c['params']))) < 1e-3)
out = dict(rosenbrock_x0=R0, quadratic_x0=Q0, quadratic_A=A.tolist(), quadratic_b=B.tolist(), cases=cases,
           lbfgs_rosenbrock_steps_to_grad_1e_3=n_conv)
path = os.path.join(here, '..', 'test', 'fixtures', 'optax_lbfgs.json')
with open(path, 'w') as f:
    json.dump(out, f, indent=None, separators=(',', ':'))
print('wrote', path, os.path.getsize(path), 'bytes; lbfgs rosenbrock converges in', n_conv,
      'steps; linesearch steps', [c['linesearch_steps'] for c in cases['lbfgs_rosenbrock']])
