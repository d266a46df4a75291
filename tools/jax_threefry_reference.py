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
tfjax does not use these counter layouts (docs/random.md, "How the numbers are made"); this
prints JAX's numbers for comparison. Run: /usr/bin/python3 tools/jax_threefry_reference.py
"""
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
