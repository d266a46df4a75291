"""JAX's default PRNG (threefry2x32) key derivations, transcribed in plain Python/NumPy.

No JAX here: the Threefry-2x32 block (Random123, 20 rounds, rotations 13 15 26 6 17 29 16 24,
key schedule with 0x1BD11BDA) and JAX's constructions on top of it (jax/_src/prng.py):
- threefry_2x32(key, counts): counts split into halves x0, x1 (one 0 appended to an odd
  count), output = concat(block(x0, x1) word 0s, word 1s), trimmed;
- jax_threefry_partitionable=False (the default before JAX 0.5): split(key, n) is
  threefry_2x32(key, iota(2n)) reshaped (n, 2); bits(key, n) is threefry_2x32(key, iota(n));
- jax_threefry_partitionable=True (the default from JAX 0.5): key i of split is block(0, i);
  word i of bits is block(0, i)[0] ^ block(0, i)[1];
- fold_in(key, d) is threefry_2x32(key, [0, d]) in both;
- uniform (float32): bits >> 9 | 0x3F800000, as a float, minus 1.
Cross-checked against JAX's published values for PRNGKey(0): split (non-partitionable)
[[4146024105, 967050713], [2718843009, 1272950319]], uniform 0.41845703.
tfjax uses the partitionable layout (docs/random.md, "How the numbers are made").
Run: /usr/bin/python3 tools/jax_threefry_reference.py (prints the comparison above), or with
--fixture PATH to write the values test/random/jax-bitwise-session13.test.ts pins
(test/fixtures/jax_prng_session13.json): for several seeds, JAX 0.5+'s split, fold_in, bits,
uniform (JAX's float32 arithmetic, reproduced with numpy float32), normal as float64
sqrt(2) erfinv(u) of JAX's float32 uniform u (torch.erfinv in float64; XLA's float32 erfinv is a
polynomial, so JAX's normal may differ in the last bits) and permutation (JAX's `_shuffle`);
for seeds 0, 1, 42 also JAX's int32 randint (`_randint`, number and array bounds), which
test/random/jax-randint-session13.test.ts pins.
With --fixture14 PATH: the other samplers by JAX's own constructions (gumbel, categorical,
exponential, laplace, logistic, cauchy, rademacher, maxwell, double_sided_maxwell, weibull_min,
rayleigh, pareto, lognormal, geometric, triangular, wald, truncated_normal, choice, permutation
with independent), transcribed from jax/_src/random.py in float32 NumPy, which
test/random/jax-derived-session14.test.ts pins (test/fixtures/jax_derived_session14.json).
"""
import sys
import json
import numpy as np

M = 0xFFFFFFFF
ROT = [13, 15, 26, 6, 17, 29, 16, 24]


def block(k0, k1, c0, c1):
    ks = [k0, k1, (0x1BD11BDA ^ k0 ^ k1) & M]
    x0, x1 = (c0 + ks[0]) & M, (c1 + ks[1]) & M
    for b in range(5):
        for i in range(4):
            x0 = (x0 + x1) & M
            x1 = (((x1 << ROT[(b % 2) * 4 + i]) | (x1 >> (32 - ROT[(b % 2) * 4 + i]))) & M) ^ x0
        x0 = (x0 + ks[(b + 1) % 3]) & M
        x1 = (x1 + ks[(b + 2) % 3] + b + 1) & M
    return x0, x1


def threefry_2x32(key, counts):
    counts = list(counts)
    odd = len(counts) % 2
    counts += [0] * odd
    h = len(counts) // 2
    pairs = [block(key[0], key[1], a, b) for a, b in zip(counts[:h], counts[h:])]
    out = [p[0] for p in pairs] + [p[1] for p in pairs]
    return out[: len(out) - odd]


def split(key, n, partitionable):
    if partitionable:
        return [list(block(key[0], key[1], 0, i)) for i in range(n)]
    o = threefry_2x32(key, range(2 * n))
    return [o[2 * i : 2 * i + 2] for i in range(n)]


def bits(key, n, partitionable):
    if partitionable:
        return [a ^ b for a, b in (block(key[0], key[1], 0, i) for i in range(n))]
    return threefry_2x32(key, range(n))


def uniform(words):
    return [float(np.uint32((w >> 9) | 0x3F800000).view(np.float32) - np.float32(1)) for w in words]


def seed_key(seed):
    """threefry_seed: [high word, low word] of the 64-bit seed."""
    s = seed % 2**64
    return [s >> 32, s & M]


def split_shape(key, n):
    return split(key, n, True)


def fold_in(key, d):
    return list(block(key[0], key[1], 0, d))


def uniform_between(words, minval, maxval):
    """JAX's float32 _uniform: max(lo, u * (hi - lo) + lo), each op rounded to float32 (no FMA)."""
    f32 = np.float32
    lo, hi = f32(minval), f32(maxval)
    u = np.array(uniform(words), dtype=f32)
    return [float(v) for v in np.maximum(lo, (u * (hi - lo)).astype(f32) + lo)]


def normal(words):
    """sqrt(2) erfinv(u), u = JAX's float32 uniform(nextafter(-1, 0), 1), evaluated in float64."""
    import torch

    lo = np.nextafter(np.float32(-1), np.float32(0))
    u = np.array(uniform_between(words, lo, 1.0), dtype=np.float64)
    return [float(v) for v in np.sqrt(2.0) * torch.erfinv(torch.tensor(u, dtype=torch.float64)).numpy()]


def permutation(key, n):
    """JAX's _shuffle of arange(n): per round, key, sub = split(key); stable sort by bits(sub, n)."""
    rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(2**32 - 1)))
    x = list(range(n))
    for _ in range(rounds):
        key, sub = split(key, 2, True)
        w = bits(sub, n, True)
        x = [x[i] for i in sorted(range(n), key=lambda i: (w[i], i))]
    return x


def randint(key, n, minval, maxval):
    """JAX's int32 _randint (uint32 arithmetic, XLA's rem by 0 giving the dividend): k1, k2 = split(key);
    span = uint32(maxval - minval) (1 where maxval <= minval; + 1 where maxval is past int32, clipped);
    m = (2^16 rem span)^2 rem span; offset = ((hi rem span) m + (lo rem span)) rem span; minval + offset.
    The bounds are ints or lists of n ints (array bounds already broadcast to the shape)."""
    k1, k2 = split(key, 2, True)
    hi, lo = bits(k1, n, True), bits(k2, n, True)
    mins = minval if isinstance(minval, list) else [minval] * n
    maxs = maxval if isinstance(maxval, list) else [maxval] * n
    return [randint_word(h, l, a, b) for h, l, a, b in zip(hi, lo, mins, maxs)]


def randint_word(h, l, minval, maxval):
    rem = lambda a, b: a if b == 0 else a % b
    out_of_range = maxval > 2**31 - 1
    minval, maxval = (min(max(v, -(2**31)), 2**31 - 1) for v in (minval, maxval))
    span = 1 if maxval <= minval else (maxval - minval) & M
    if out_of_range and maxval > minval:
        span = (span + 1) & M
    m = rem(2**16, span)
    m = rem((m * m) & M, span)
    o = rem(((rem(h, span) * m) & M) + rem(l, span) & M, span)
    return (minval + o + 2**31) % 2**32 - 2**31


# Array bounds for shape [2, 3]: minval [[0], [-5]] (shape [2, 1]), maxval [10, 100, 2^31 - 1] (shape [3]).
RANDINT_ARRAY_MIN = [[0], [-5]]
RANDINT_ARRAY_MAX = [10, 100, 2**31 - 1]


def randint_arrays(key):
    mins = [RANDINT_ARRAY_MIN[i][0] for i in range(2) for _ in range(3)]
    maxs = [RANDINT_ARRAY_MAX[j] for _ in range(2) for j in range(3)]
    return randint(key, 6, mins, maxs)


RANDINT_BOUNDS = [(0, 10), (-5, 5), (0, 2**31 - 1), (-(2**31), 2**31 - 1), (3, 3), (-(2**31), 2**31)]
RANDINT_SIZES = {"[]": 1, "[5]": 5, "[2,3]": 6}


def check_published():
    """Published values (docs.jax.dev): the jax.random module page (JAX 0.5+, uniform); the
    jax.nn.initializers.normal example (a skipped doctest, made before 0.5: original layout), which
    checks the normal formula."""
    k0 = seed_key(0)
    assert abs(uniform(bits(k0, 1, True))[0] - 0.947667) < 1e-6
    assert abs(uniform(bits(split(k0, 2, True)[1], 1, True))[0] - 0.00729382) < 1e-8
    published = [3.0613258, 5.6129413, 5.6866574, -4.063663, -4.4520254, 0.63115686]
    ours = [5 * z for z in normal(bits(seed_key(42), 6, False))]
    assert all(abs(a - b) <= 2e-6 * abs(b) for a, b in zip(ours, published)), ours


def fixture():
    check_published()
    seeds = {}
    for seed in (0, 1, 42, 2**31, -1):
        k = seed_key(seed)
        seeds[str(seed)] = {
            "key": k,
            "split2": split(k, 2, True),
            "split3": split(k, 3, True),
            "fold_in": {str(d): fold_in(k, d) for d in (0, 1, 7, 2**31, 2**32 - 1)},
            "bits": {str(n): bits(k, n, True) for n in (1, 3, 5, 6)},
            "uniform6": uniform(bits(k, 6, True)),
            "uniform6_m3_5": uniform_between(bits(k, 6, True), -3, 5),
            "normal6": normal(bits(k, 6, True)),
            "permutation5": permutation(k, 5),
            "permutation10": permutation(k, 10),
        }
        if seed in (0, 1, 42):
            seeds[str(seed)]["randint"] = {
                f"{lo},{hi}": {name: randint(k, n, lo, hi) for name, n in RANDINT_SIZES.items()} for lo, hi in RANDINT_BOUNDS
            }
            seeds[str(seed)]["randint_arrays"] = randint_arrays(k)
    return {"jax": "0.5+, jax_threefry_partitionable=True", "seeds": seeds}



# ---- session 14: jax.random's other samplers, transcribed from jax/_src/random.py (JAX 0.7+) ----
# Everything in float32 numpy arithmetic (each op rounded to float32, no FMA), as XLA's float32
# ops; the transcendental functions (log, log1p, exp, tan, sqrt, pow) are numpy's float32 ones,
# within an ulp or two of XLA's; erf and erfinv are evaluated in float64 and rounded once.
F32 = np.float32
TINY = np.finfo(F32).tiny
EPS = np.finfo(F32).eps
EPSNEG = np.finfo(F32).epsneg


def words(key, shape):
    return bits(key, int(np.prod(shape, dtype=np.int64)), True)


def uniform32(key, shape, minval=0.0, maxval=1.0):
    """JAX's _uniform as a float32 array of `shape`: max(lo, u * (hi - lo) + lo); the bounds may be
    float32 arrays broadcasting to `shape`."""
    u = np.array(uniform(words(key, shape)), dtype=F32).reshape(shape)
    lo, hi = np.asarray(minval, dtype=F32), np.asarray(maxval, dtype=F32)
    return np.maximum(lo, (u * (hi - lo)).astype(F32) + lo).astype(F32)


def erfinv64(u):
    import torch

    return torch.erfinv(torch.tensor(np.asarray(u, dtype=np.float64))).numpy()


def normal32(key, shape):
    """_normal_real: sqrt(2) erfinv(uniform(nextafter(-1, 0), 1)), float64 erfinv rounded once."""
    lo = np.nextafter(F32(-1), F32(0))
    return (np.sqrt(2.0) * erfinv64(uniform32(key, shape, lo, 1.0))).astype(F32)


def gumbel32(key, shape):
    """_gumbel, mode 'low' (the default): -log(-log(uniform(tiny, 1)))."""
    return -np.log(-np.log(uniform32(key, shape, TINY, 1.0)))


def categorical(key, logits, axis, shape, replace=True):
    """_categorical: argmax of gumbel(key, prefix + logits shape) + logits (with replacement), or
    the top k of gumbel(key, logits.shape) + logits along axis, k = prod(prefix), moved to the front."""
    logits = np.asarray(logits, dtype=F32)
    axis = axis % logits.ndim
    batch = tuple(np.delete(logits.shape, axis))
    shape = batch if shape is None else tuple(shape)
    prefix = shape[: len(shape) - len(batch)]
    if replace:
        lshape = list(shape[len(shape) - len(batch):])
        lshape.insert(axis, logits.shape[axis])
        g = gumbel32(key, (*prefix, *lshape)) + logits
        return np.argmax(g, axis=len(prefix) + axis)
    g = gumbel32(key, logits.shape) + logits
    k = int(np.prod(prefix, dtype=np.int64))
    moved = np.moveaxis(g, axis, -1)
    top = np.argsort(-moved, axis=-1, kind="stable")[..., :k]
    return np.moveaxis(top, -1, 0).reshape(shape)


def exponential32(key, shape):
    return -np.log1p(-uniform32(key, shape))


def laplace32(key, shape):
    u = uniform32(key, shape, F32(-1) + EPSNEG, 1.0)
    return np.sign(u) * np.log1p(-np.abs(u))


def logistic32(key, shape):
    """JAX 0.7+ (log(x) - log1p(-x), x = uniform(tiny, 1)); JAX 0.5-0.6 took log(x / (1 - x)) with eps."""
    x = uniform32(key, shape, TINY, 1.0)
    return np.log(x) - np.log1p(-x)


def cauchy32(key, shape):
    u = uniform32(key, shape, EPS, 1.0)
    return np.tan(F32(np.pi) * (u - F32(0.5)))


def rademacher32(key, shape):
    return 2 * (uniform32(key, shape) < F32(0.5)).astype(np.int32) - 1


def maxwell32(key, shape):
    z = normal32(key, (*shape, 3))
    return np.sqrt(np.sum(z * z, axis=-1, dtype=F32))


def double_sided_maxwell32(key, loc, scale, shape):
    params = np.broadcast_shapes(np.shape(loc), np.shape(scale))
    shape = tuple(shape) or params
    shape = shape + params
    mk, rk = split(key, 2, True)
    return rademacher32(rk, shape).astype(F32) * maxwell32(mk, shape) * F32(scale) + F32(loc)


def weibull_min32(key, scale, concentration, shape):
    u = uniform32(key, shape)
    return np.power(-np.log1p(-u), F32(1.0 / concentration)) * F32(scale)


def rayleigh32(key, scale, shape):
    u = uniform32(key, shape)
    with np.errstate(divide="ignore"):
        return F32(scale) * np.sqrt(np.log(u) * F32(-2))


def pareto32(key, b, shape):
    return np.exp(exponential32(key, shape) / F32(b))


def lognormal32(key, sigma, shape):
    return np.exp(normal32(key, shape) * F32(sigma))


def geometric(key, p, shape):
    """_geometric (JAX 0.10.2+: u = 0 read as 1; before, log(0) overflowed the count)."""
    u = uniform32(key, shape)
    u = np.where(u == 0, F32(1), u)
    return (np.floor(np.log(u) / np.log1p(-F32(p))) + 1).astype(np.int32)


def triangular32(key, left, mode, right, shape):
    left, mode, right = F32(left), F32(mode), F32(right)
    fc = (mode - left) / (right - left)
    u = uniform32(key, shape)
    out1 = left + np.sqrt(u * (right - left) * (mode - left))
    out2 = right - np.sqrt((F32(1) - u) * (right - left) * (right - mode))
    return np.where(u < fc, out1, out2)


def wald32(key, mean, shape):
    """_wald: k1, k2 = split(key); JAX's root mean + mean^2 y / 2 - mean / 2 sqrt(4 mean y + mean^2 y^2)."""
    k1, k2 = split(key, 2, True)
    mean = np.broadcast_to(F32(mean), shape)
    v = normal32(k1, shape)
    z = uniform32(k2, shape)
    y = v * v
    sqrt_term = np.sqrt(F32(4) * mean * y + (mean * mean) * (y * y))
    x = mean + (mean * mean) * y / F32(2) - mean / F32(2) * sqrt_term
    return np.where(z <= mean / (mean + x), x, (mean * mean) / x)


def truncated_normal32(key, lower, upper, shape):
    """_truncated_normal: u = uniform(erf(lower / sqrt2), erf(upper / sqrt2)) in float32 (erf in
    float64 rounded once), sqrt2 erfinv(u) (float64, rounded once), clipped to the open interval."""
    import math

    sqrt2 = F32(np.sqrt(2))
    lo, hi = np.asarray(lower, dtype=F32), np.asarray(upper, dtype=F32)
    a, b = (np.vectorize(math.erf)((v / sqrt2).astype(np.float64)).astype(F32) for v in (lo, hi))
    u = uniform32(key, shape, a, b)
    with np.errstate(over="ignore"):
        out = (np.sqrt(2.0) * erfinv64(u)).astype(F32)
    return np.clip(out, np.nextafter(lo, F32(np.inf)), np.nextafter(hi, F32(-np.inf)))


def choice(key, n, shape, replace, p=None):
    """jax.random.choice of arange(n): randint / permutation prefix without p; with p, the
    inverse CDF (searchsorted 'left' in cumsum(p) of total (1 - u)) or the Gumbel top-k."""
    k = int(np.prod(shape, dtype=np.int64))
    if p is None:
        if replace:
            return np.array(randint(key, k, 0, n)).reshape(shape)
        return np.array(permutation(key, n)[:k]).reshape(shape)
    p = np.asarray(p, dtype=F32)
    if replace:
        cdf = np.cumsum(p, dtype=F32)
        r = cdf[-1] * (F32(1) - uniform32(key, shape))
        return np.searchsorted(cdf, r, side="left").astype(np.int32)
    with np.errstate(divide="ignore"):
        g = gumbel32(key, (n,)) + np.log(p)
    return np.argsort(-g, kind="stable")[:k].astype(np.int32).reshape(shape)


def shuffle_independent(key, x, axis):
    """_shuffle(key, x, axis): rounds by x.size; each key, sub = split(key), then a stable sort
    along axis by bits(sub, x.shape) as uint32."""
    x = np.asarray(x)
    rounds = int(np.ceil(3 * np.log(max(1, x.size)) / np.log(2**32 - 1)))
    for _ in range(rounds):
        key, sub = split(key, 2, True)
        w = np.array(words(sub, x.shape), dtype=np.uint32).reshape(x.shape)
        x = np.take_along_axis(x, np.argsort(w, axis=axis, kind="stable"), axis=axis)
    return x


# 780233: its first bits word is below 2^9, so its first uniform is 0 (JAX maps it: rayleigh inf, geometric 1).
SESSION14_SEEDS = (0, 1, 42, 2**31, -1, 780233)
CATEGORICAL_LOGITS = [[0.1, -0.3, 1.2, 0.0, 0.5], [-1.0, 2.0, 0.3, 0.3, -0.2], [0.0, 0.0, 0.0, 0.0, 0.0]]
CHOICE_P = [0.1, 0.05, 0.3, 0.0, 0.25, 0.2, 0.1]


def f32list(x):
    """The values as JSON numbers, infinities as the strings "inf" / "-inf" (JSON has no infinity)."""
    return [float(v) if np.isfinite(v) else ("inf" if v > 0 else "-inf") for v in np.asarray(x, dtype=np.float64).ravel()]


def fixture14():
    seeds = {}
    for seed in SESSION14_SEEDS:
        k = seed_key(seed)
        logits = np.array(CATEGORICAL_LOGITS, dtype=F32)
        seeds[str(seed)] = {
            "gumbel": f32list(gumbel32(k, (2, 3))),
            "exponential": f32list(exponential32(k, (2, 3))),
            "laplace": f32list(laplace32(k, (2, 3))),
            "logistic": f32list(logistic32(k, (2, 3))),
            "cauchy": f32list(cauchy32(k, (2, 3))),
            "rademacher": rademacher32(k, (8,)).tolist(),
            "maxwell": f32list(maxwell32(k, (4,))),
            "double_sided_maxwell": f32list(double_sided_maxwell32(k, 1.5, 2.0, (4,))),
            "weibull_min": f32list(weibull_min32(k, 2.0, 1.5, (4,))),
            "rayleigh": f32list(rayleigh32(k, 3.0, (4,))),
            "pareto": f32list(pareto32(k, 2.5, (4,))),
            "lognormal": f32list(lognormal32(k, 0.7, (4,))),
            "geometric": geometric(k, 0.3, (8,)).tolist(),
            "geometric_small_p": geometric(k, 0.01, (8,)).tolist(),
            "triangular": f32list(triangular32(k, -1.0, 0.5, 3.0, (6,))),
            "wald": f32list(wald32(k, 1.5, (6,))),
            "wald_y": f32list(np.square(normal32(split(k, 2, True)[0], (6,)))),
            "truncated_normal": f32list(truncated_normal32(k, -2.0, 2.0, (6,))),
            "truncated_normal_m1_3": f32list(truncated_normal32(k, -1.0, 3.0, (6,))),
            "truncated_normal_0_inf": f32list(truncated_normal32(k, 0.0, np.inf, (6,))),
            "truncated_normal_arrays": f32list(truncated_normal32(k, [-1.0, 0.0], 1.0, (3, 2))),
            "categorical_rows": categorical(k, logits, -1, None).tolist(),
            "categorical_shape_4_3": categorical(k, logits, -1, (4, 3)).tolist(),
            "categorical_axis0": categorical(k, logits, 0, (2, 5)).tolist(),
            "categorical_noreplace_3_3": categorical(k, logits, -1, (3, 3), replace=False).tolist(),
            "choice_replace": choice(k, 7, (2, 3), True).tolist(),
            "choice_noreplace": choice(k, 7, (4,), False).tolist(),
            "choice_p_replace": choice(k, 7, (2, 4), True, CHOICE_P).tolist(),
            "choice_p_noreplace": choice(k, 7, (5,), False, CHOICE_P).tolist(),
            "permutation_independent_axis1": shuffle_independent(k, np.arange(12).reshape(3, 4), 1).tolist(),
            "permutation_independent_axis0": shuffle_independent(k, np.arange(12).reshape(3, 4), 0).tolist(),
        }
    return {
        "jax": "0.7+ (logistic; geometric's u = 0 as JAX 0.10.2+), jax_threefry_partitionable=True",
        "categorical_logits": CATEGORICAL_LOGITS,
        "choice_p": CHOICE_P,
        "seeds": seeds,
    }


if len(sys.argv) == 3 and sys.argv[1] == "--fixture14":
    with open(sys.argv[2], "w") as fh:
        json.dump(fixture14(), fh, separators=(",", ":"))
    sys.exit(0)

if len(sys.argv) == 3 and sys.argv[1] == "--fixture":
    with open(sys.argv[2], "w") as fh:
        json.dump(fixture(), fh, indent=0)
    sys.exit(0)

key = [0, 0]
out = {
    "block_key0_counter0": list(block(0, 0, 0, 0)),
    "fold_in_key0_1": threefry_2x32(key, [0, 1]),
}
for part in (False, True):
    name = "partitionable" if part else "original"
    out[name] = {
        "split2": split(key, 2, part),
        "split3": split(key, 3, part),
        "bits4": bits(key, 4, part),
        "uniform1": uniform(bits(key, 1, part)),
        "uniform3": uniform(bits(key, 3, part)),
    }
assert out["original"]["split2"] == [[4146024105, 967050713], [2718843009, 1272950319]]
assert abs(out["original"]["uniform1"][0] - 0.41845703) < 1e-8
print(json.dumps(out, indent=1))
