#!/usr/bin/env python3
"""Fixtures for test/checkpoint/checkpoint-audit-session17.test.ts: files written by NumPy 1.24
itself (np.save / np.savez) and safetensors files written by hand from the format spec
(https://github.com/huggingface/safetensors; the `safetensors` package is not installed here),
for the cases the session-14 fixtures (tools/formats_session14.py) do not cover.

Writes, under test/fixtures/checkpoint17/:
- <name>.npy: uint32, big-endian uint16 and float16, int8, a 0-d bool, a non-contiguous view and a
  transposed (Fortran-ordered) float64 array, a 3-d Fortran bool array;
- two.npy: two arrays `np.save`d to one file handle (np.load reads the first);
- struct.npy: a structured (record) dtype, which tfjax refuses;
- unicode.npz: np.savez with non-ASCII and '/' in the names;
- meta-null.safetensors: `"__metadata__": null`, which the Hugging Face reader reads as no
  metadata (its `__metadata__` is an `Option<HashMap<String, String>>`);
- unicode.safetensors: non-ASCII tensor names and metadata, laid out as the HF writer does;
- expected.json: each array's shape and values as tfjax reads them (C order, float -> float32,
  integers -> int32, bool -> 0/1), from numpy's own reading of the file.

Run from the repo root: /usr/bin/python3 tools/checkpoint_audit_session17.py
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'checkpoint17')


def npy_cases():
    a = np.arange(24, dtype='<f8').reshape(2, 3, 4) - 5.5
    return {
        'u4': np.array([0, 2**31 - 1, 7], dtype='<u4'),
        'u2-be': np.array([1, 65535], dtype='>u2'),
        'f2-be': np.array([1.5, -2.0, 6e-8, 65504.0], dtype='>f2'),
        'i1': np.array([[-128, 127], [0, -1]], dtype='i1'),
        'b1-0d': np.array(True),
        'f8-noncontig': a[:, ::2, 1:],
        'f8-transposed': a.T,
        'b1-fortran-3d': np.asfortranarray(np.arange(24).reshape(2, 3, 4) % 3 == 0),
    }


def as_tfjax(x):
    """The values tfjax reads, C order, as JSON numbers."""
    x = np.ascontiguousarray(x)
    if x.dtype == np.bool_:
        return [int(v) for v in x.ravel()]
    if x.dtype.kind == 'f':
        return [float(v) for v in x.astype(np.float32).ravel()]
    return [int(v) for v in x.ravel()]


def safetensors_bytes(header, data):
    """A safetensors file: u64 little-endian header length, the JSON header padded with spaces to 8, the data."""
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    return struct.pack('<Q', len(text)) + text + data


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, x in npy_cases().items():
        path = os.path.join(OUT, name + '.npy')
        np.save(path, x)
        back = np.load(path)
        assert back.dtype == x.dtype and back.shape == x.shape and np.array_equal(back, x)
        if name in ('f8-transposed', 'b1-fortran-3d'):
            with open(path, 'rb') as fh:
                np.lib.format.read_magic(fh)
                assert np.lib.format.read_array_header_1_0(fh)[1], name  # fortran_order
        expected[name] = {'descr': back.dtype.str, 'shape': list(back.shape), 'values': as_tfjax(back)}

    with open(os.path.join(OUT, 'two.npy'), 'wb') as f:
        np.save(f, np.array([0.5, 1.5, -2.0], dtype='<f4'))
        np.save(f, np.array([7, 8], dtype='<i4'))
    first = np.load(os.path.join(OUT, 'two.npy'))
    expected['two'] = {'descr': first.dtype.str, 'shape': list(first.shape), 'values': as_tfjax(first)}

    np.save(os.path.join(OUT, 'struct.npy'), np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))

    arrays = {'héllo': np.array([1.0, 2.0], dtype='<f4'), 'a/b': np.array([[3]], dtype='<i8')}
    np.savez(os.path.join(OUT, 'unicode.npz'), **arrays)
    with np.load(os.path.join(OUT, 'unicode.npz')) as z:
        expected['npz'] = {k: {'descr': z[k].dtype.str, 'shape': list(z[k].shape), 'values': as_tfjax(z[k])} for k in z.files}

    w = np.array([1.0, -2.0], dtype='<f4')
    with open(os.path.join(OUT, 'meta-null.safetensors'), 'wb') as f:
        f.write(safetensors_bytes({'__metadata__': None, 'w': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}}, w.tobytes()))
    expected['meta-null'] = {'w': {'shape': [2], 'values': as_tfjax(w)}}

    # HF layout: F32 before I32 before BOOL, then by name (UTF-8 byte order).
    f = np.array([[0.25, -1.0]], dtype='<f4')
    i = np.array(-7, dtype='<i4')
    b = np.array([True, False, True], dtype='?')
    header = {
        '__metadata__': {'note': 'ü', 'ключ': 'значение'},  # keys in UTF-8 order, as tfjax writes them
        'poids/ß': {'dtype': 'F32', 'shape': [1, 2], 'data_offsets': [0, 8]},
        '步': {'dtype': 'I32', 'shape': [], 'data_offsets': [8, 12]},
        'é': {'dtype': 'BOOL', 'shape': [3], 'data_offsets': [12, 15]},
    }
    with open(os.path.join(OUT, 'unicode.safetensors'), 'wb') as fh:
        fh.write(safetensors_bytes(header, f.tobytes() + i.tobytes() + b.tobytes()))
    expected['unicode'] = {
        'poids/ß': {'shape': [1, 2], 'values': as_tfjax(f)},
        '步': {'shape': [], 'values': as_tfjax(i)},
        'é': {'shape': [3], 'values': as_tfjax(b)},
        '__metadata__': header['__metadata__'],
    }

    with open(os.path.join(OUT, 'expected.json'), 'w', encoding='utf-8') as fh:
        json.dump(expected, fh, indent=1, ensure_ascii=False)
        fh.write('\n')


if __name__ == '__main__':
    main()
