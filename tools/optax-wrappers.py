"""Reference numbers for test/optim/optax-wrappers.test.ts, in float64 numpy, following optax's
source (optax/transforms/_accumulation.py MultiSteps, skip_not_finite, skip_large_updates;
optax/transforms/_clipping.py per_example_global_norm_clip, per_example_layer_norm_clip;
optax/_src/alias.py optimistic_adam, optimistic_adam_v2; _src/transform.py
scale_by_optimistic_gradient). Writes test/fixtures/optax_wrappers.json."""
import json
import numpy as np

rng = np.random.default_rng(7)
N = 5  # parameters {b: [1], w: [4]} flattened as concat(b, w)


class Adam:
  """optax scale_by_adam (+ nesterov) followed by scale_by_learning_rate(lr) when lr is given."""

  def __init__(self, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, nesterov=False, lr=None):
    self.b1, self.b2, self.eps, self.eps_root, self.nesterov, self.lr = b1, b2, eps, eps_root, nesterov, lr

  def init(self):
    return dict(count=0, mu=np.zeros(N), nu=np.zeros(N))

  def update(self, g, s):
    b1, b2 = self.b1, self.b2
    mu = b1 * s['mu'] + (1 - b1) * g
    nu = b2 * s['nu'] + (1 - b2) * g * g
    t = s['count'] + 1
    if self.nesterov:
      mu_hat = b1 * mu / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
    else:
      mu_hat = mu / (1 - b1 ** t)
    nu_hat = nu / (1 - b2 ** t)
    u = mu_hat / (np.sqrt(nu_hat + self.eps_root) + self.eps)
    if self.lr is not None:
      u = -self.lr * u
    return u, dict(count=t, mu=mu, nu=nu)


def multi_steps(grads, k_of, use_mean, skip_fn, lr=0.1):
  inner = Adam(lr=lr)
  st = dict(mini=0, gstep=0, inner=inner.init(), acc=np.zeros(N))
  x = np.linspace(-1, 1, N)
  out = dict(updates=[], mini_step=[], gradient_step=[], has_updated=[], params=[], skipped=[])
  for g in grads:
    k = k_of(st['gstep'])
    skip = skip_fn(g) if skip_fn else False
    if skip:
      u = np.zeros(N)
    else:
      n = st['mini']
      acc = st['acc'] + (g - st['acc']) / (n + 1) if use_mean else g + st['acc']
      upd, new_inner = inner.update(acc, st['inner'])
      emit = st['mini'] == k - 1
      st = dict(mini=(st['mini'] + 1) % k, gstep=st['gstep'] + (1 if emit else 0),
                inner=new_inner if emit else st['inner'], acc=(1 - emit) * acc)
      u = emit * upd
    x = x + u
    out['updates'].append(u.tolist())
    out['mini_step'].append(st['mini'])
    out['gradient_step'].append(st['gstep'])
    out['has_updated'].append(bool(st['mini'] == 0 and st['gstep'] > 0))
    out['params'].append(x.tolist())
    out['skipped'].append(bool(skip))
  return out


def grads_list(n, scale=1.0):
  return [(scale * rng.normal(size=N)).tolist() for _ in range(n)]


cases = {}
g8 = grads_list(9)
cases['mean_k3'] = dict(grads=g8, k='3', mean=True, skip=None)
cases['sum_k2'] = dict(grads=g8, k='2', mean=False, skip=None)
cases['schedule'] = dict(grads=g8, k='1 while gradientStep < 2, then 3', mean=True, skip=None)
gbad = [list(r) for r in grads_list(7)]
gbad[2][1] = 'NaN'
gbad[5][3] = 'Infinity'
cases['skip_not_finite'] = dict(grads=gbad, k='2', mean=True, skip='not_finite')
gbig = grads_list(8)
gbig[1] = (np.array(gbig[1]) * 10).tolist()
gbig[4] = (np.array(gbig[4]) * 10).tolist()
cases['skip_large'] = dict(grads=gbig, k='2', mean=True, skip='large', max_squared_norm=20.0)

k_fns = {'3': lambda s: 3, '2': lambda s: 2, '1 while gradientStep < 2, then 3': lambda s: 1 if s < 2 else 3}
ms = {}
for name, c in cases.items():
  gs = [np.array([float(v) for v in g]) for g in c['grads']]
  skip_fn = None
  if c['skip'] == 'not_finite':
    skip_fn = lambda g: bool(np.any(~np.isfinite(g)))
  elif c['skip'] == 'large':
    m = c['max_squared_norm']
    skip_fn = lambda g, m=m: not (np.sum(g * g) < m)
  res = multi_steps(gs, k_fns[c['k']], c['mean'], skip_fn)
  ms[name] = dict(c, **res)

# per-example clipping: {a: [B, 3], b: [B, 2, 2]}, example 0 all zeros.
B = 4
pa = rng.normal(size=(B, 3))
pb = rng.normal(size=(B, 2, 2))
pa[0] = 0
pb[0] = 0


def pe_clip(leaves, clip):
  norms = np.sqrt(sum(np.sum(l.reshape(B, -1) ** 2, axis=1) for l in leaves))
  with np.errstate(divide='ignore', invalid='ignore'):
    mult = np.nan_to_num(np.minimum(clip / norms, 1.0), nan=1.0)
  return [np.tensordot(mult, l, axes=1) for l in leaves], int(np.sum(mult < 1.0))


per_example = dict(a=pa.tolist(), b=pb.tolist(), global_={}, layer_uniform={}, layer_sized={})
for clip in [0.0, 0.5, 1.5, 2.5, 1e9]:
  s, n = pe_clip([pa, pb], clip)
  per_example['global_'][str(clip)] = dict(a=s[0].tolist(), b=s[1].tolist(), num_clipped=n)
  for uniform, key in [(True, 'layer_uniform'), (False, 'layer_sized')]:
    ca = clip * (0.5 ** 0.5 if uniform else (3 / 7) ** 0.5)
    cb = clip * (0.5 ** 0.5 if uniform else (4 / 7) ** 0.5)
    (sa,), na = pe_clip([pa], ca)
    (sb,), nb = pe_clip([pb], cb)
    per_example[key][str(clip)] = dict(a=sa.tolist(), b=sb.tolist(), num_clipped=[na, nb])
per_example['global'] = per_example.pop('global_')

# optimistic adam on a quadratic with noise: grad = d (x - t) + n_k.
d = rng.uniform(0.5, 2.0, size=N)
tgt = rng.normal(size=N)
noise = [(0.1 * rng.normal(size=N)).tolist() for _ in range(8)]


def optimistic(alpha, beta, lr, eps_root=0.0):
  adam = Adam(nesterov=True, eps_root=eps_root)
  s = adam.init()
  prev = None
  x = np.linspace(-1, 1, N)
  traj = []
  for k in range(8):
    g = d * (x - tgt) + np.array(noise[k])
    r, s = adam.update(g, s)
    p = r if prev is None else prev
    u = -lr * ((alpha + beta) * r - beta * p)
    prev = r
    x = x + u
    traj.append(x.tolist())
  return traj


opt = dict(d=d.tolist(), t=tgt.tolist(), noise=noise, cases={
    # optimistic_adam(lr, optimism): alpha = lr, beta = optimism (default lr), then scale(-1).
    'v1_lr0.05': dict(params=optimistic(0.05, 0.05, 1.0)),
    'v1_lr0.05_optimism0.2': dict(params=optimistic(0.05, 0.2, 1.0)),
    'v2_lr0.1_alpha0.5_beta0.8_epsroot1e-6': dict(params=optimistic(0.5, 0.8, 0.1, 1e-6)),
})

with open('test/fixtures/optax_wrappers.json', 'w') as f:
  json.dump(dict(multi_steps=ms, per_example=per_example, optimistic=opt), f)
