# Reference for test/optim/user-chain-session21.test.ts: optax's formulas written out in float64 NumPy
# (run with /usr/bin/python3; prints the parameters after 8 calls, baked into the test).
# optax formulas in float64 numpy: multi_steps(k=2, mean) of multi_transform({train: chain(clip_by_global_norm(1), adamw(warmup_cosine_decay(0,.1,2,10,.001), wd .1, mask no bias)), frozen: set_to_zero})
import numpy as np, json, math
w = np.array([[0.5, -1.5, 2.0], [1.0, 0.3, -0.7]]); b = np.array([0.0, 2.0, -1.0]); f = np.array([1.0, 2.0])
def sched(t):
    if t < 2: return 0 + (0.1 - 0) * t / 2
    tt = min(t - 2, 8); alpha = 0.001 / 0.1
    cos = 0.5 * (1 + math.cos(math.pi * tt / 8)); return 0.1 * ((1 - alpha) * cos + alpha)
mu = [np.zeros_like(w), np.zeros_like(b)]; nu = [np.zeros_like(w), np.zeros_like(b)]; count = 0
acc = [np.zeros_like(w), np.zeros_like(b)]; mini = 0
for i in range(8):
    g = [w ** 3, b - 1]
    acc = [a + (gg - a) / (mini + 1) for a, gg in zip(acc, g)]
    if mini == 1:
        n = math.sqrt(sum((a ** 2).sum() for a in acc)); gg = [a * (1.0 / max(n, 1.0)) for a in acc]
        mu = [0.9 * m + 0.1 * x for m, x in zip(mu, gg)]; nu = [0.999 * v + 0.001 * x * x for v, x in zip(nu, gg)]
        lr = sched(count); count += 1
        u = [(m / (1 - 0.9 ** count)) / (np.sqrt(v / (1 - 0.999 ** count)) + 1e-8) for m, v in zip(mu, nu)]
        u[0] = u[0] + 0.1 * w
        w = w - lr * u[0]; b = b - lr * u[1]
        acc = [np.zeros_like(w), np.zeros_like(b)]; mini = 0
    else:
        mini += 1
print(json.dumps({'w': w.ravel().tolist(), 'b': b.tolist(), 'f': f.tolist()}))
