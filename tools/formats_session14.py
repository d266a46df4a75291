#!/usr/bin/env python3
"""NumPy .npy / .npz fixtures for test/io/formats-session14.test.ts, written by numpy itself
(np.save, np.lib.format.write_array for format versions 2.0 and 3.0, np.savez,
np.savez_compressed), so tfjax's reader is checked against the reference writer.

Writes, under test/fixtures/formats14/:
- <name>.npy for each case below: little- and big-endian, float32/float64/int32/int64/bool/
  uint8/int16/float16, C and Fortran order, 0-d and empty arrays, format versions 1.0/2.0/3.0;
- ref-*.npy: what np.save writes for the arrays the test writes with tfjax's writeNpy (the test
  compares the bytes);
- plain.npz (np.savez, stored) and compressed.npz (np.savez_compressed, deflate);
- expected.json: each array's shape and its values as tfjax reads them, C order, converted as
  numpy's .astype(np.float32) / .astype(np.int32) (float64 rounds to nearest; int64 values fit).

Run from the repo root: /usr/bin/python3 tools/formats_session14.py
"""
import io
import json
import math
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'formats14')


def cases():
    a23 = np.array([[1.5, -2.25, 3.0], [0.1, 1e-3, -7.0]])
    a234 = np.arange(24).reshape(2, 3, 4) - 5
    return {
        'f4': (a23.astype('<f4'), (1, 0)),
        'f4-be': (a23.astype('>f4'), (1, 0)),
        'f8': (np.array([0.1, 1e300, -1e-300, 2.0 / 3.0]), (1, 0)),
        'f8-be': (np.array([0.1, -2.5]).astype('>f8'), (1, 0)),
        'f2': (np.array([0.5, -1.0, 65504.0], dtype='<f2'), (1, 0)),
        'i4': (np.array([[-3, 7], [2**31 - 1, -2**31]], dtype='<i4'), (1, 0)),
        'i4-be': (np.array([-3, 7, 65536], dtype='>i4'), (1, 0)),
        'i8': (np.array([-5, 2**31 - 1, 0], dtype='<i8'), (1, 0)),
        'i8-overflow': (np.array([1, 2**31], dtype='<i8'), (1, 0)),
        'i2': (np.array([-300, 300], dtype='<i2'), (1, 0)),
        'u1': (np.array([0, 255, 7], dtype='|u1'), (1, 0)),
        'b1': (np.array([[True, False, True], [False, False, True]]), (1, 0)),
        'f4-fortran': (np.asfortranarray(a23.astype('<f4')), (1, 0)),
        'i4-fortran-3d': (np.asfortranarray(a234.astype('<i4')), (1, 0)),
        'b1-fortran': (np.asfortranarray(np.array([[True, False, True], [False, False, True]])), (1, 0)),
        'f4-0d': (np.array(2.5, dtype='<f4'), (1, 0)),
        'f4-empty': (np.zeros((0, 3), dtype='<f4'), (1, 0)),
        'f4-v2': (a23.astype('<f4'), (2, 0)),
        'f4-v3': (a23.astype('<f4'), (3, 0)),
    }


def json_values(arr):
    flat = arr.reshape(-1)
    if arr.dtype == np.bool_:
        return [bool(v) for v in flat]
    if arr.dtype.kind == 'f':
        with np.errstate(over='ignore'):
            f32 = flat.astype(np.float32)
        # JSON has no Infinity / NaN: written as the strings JavaScript's Number() parses.
        return [float(v) if math.isfinite(v) else {'inf': 'Infinity', '-inf': '-Infinity', 'nan': 'NaN'}[str(v)] for v in f32]
    return [int(v) for v in flat]


def save(name, arr, version):
    with open(os.path.join(OUT, name + '.npy'), 'wb') as f:
        np.lib.format.write_array(f, arr, version=version)


def refs():
    """The arrays the test writes with writeNpy (keep in sync with the test)."""
    return {
        'ref-f4': np.arange(6, dtype='<f4').reshape(2, 3) / 4,
        'ref-i4': np.array([3, -1, 4, 1, -5], dtype='<i4'),
        'ref-f4-0d': np.array(-1.25, dtype='<f4'),
        'ref-f4-empty': np.zeros((0, 3), dtype='<f4'),
        'ref-f4-3d': np.arange(24, dtype='<f4').reshape(2, 3, 4),
        # NumPy >= 1.23 leaves 21 - len(str(shape[0])) spare spaces in the header: here that takes
        # the header past 128 bytes.
        'ref-f4-rank15': np.full((1,) * 15, 0.5, dtype='<f4'),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, (arr, version) in cases().items():
        save(name, arr, version)
        ok = name != 'i8-overflow'
        expected[name] = {'shape': list(arr.shape), 'values': json_values(np.ascontiguousarray(arr)) if ok else None}
    for name, arr in refs().items():
        np.save(os.path.join(OUT, name + '.npy'), arr)
    npz = {'w': np.arange(6, dtype='<f4').reshape(2, 3) - 2.5, 'labels': np.array([1, 0, 2], dtype='<i4'),
           'scalar': np.array(7.0), 'mask': np.array([True, False])}
    np.savez(os.path.join(OUT, 'plain.npz'), **npz)
    np.savez_compressed(os.path.join(OUT, 'compressed.npz'), **npz)
    expected['npz'] = {k: {'shape': list(v.shape), 'values': json_values(v)} for k, v in npz.items()}
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write('\n')
    # Self-checks: numpy reads back what it wrote, Fortran files really are Fortran-ordered on disk.
    for name, (arr, _) in cases().items():
        back = np.load(os.path.join(OUT, name + '.npy'))
        assert back.dtype == arr.dtype and np.array_equal(back, arr), name
    with open(os.path.join(OUT, 'f4-fortran.npy'), 'rb') as f:
        assert b"'fortran_order': True" in f.read(128)
    sizes = {n: os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT)}
    assert max(sizes.values()) < 50_000, sizes
    print(f'wrote {len(sizes)} files to {os.path.normpath(OUT)}, {sum(sizes.values())} bytes')


if __name__ == '__main__':
    main()
