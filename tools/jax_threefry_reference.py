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
