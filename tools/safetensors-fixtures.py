#!/usr/bin/env python3
"""Safetensors fixtures for test/io/safetensors-spec.test.ts, written byte by byte from the spec
(https://github.com/huggingface/safetensors#format), with no safetensors package (torch 1.13 has
none): an 8-byte little-endian header length N, N bytes of UTF-8 JSON
{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}} padded
with spaces to a multiple of 8, then the data section, each tensor's row-major little-endian
bytes at [begin, end) of it, tiling it with no gaps or overlaps.

Writes, under test/fixtures/safetensors/:
- all-dtypes.safetensors: every dtype the spec lists (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL),
  0-d and empty tensors, metadata, JSON keys NOT in data order (readers must go by offsets);
- unpadded.safetensors: the same kind of file with an unpadded header (valid: padding is optional);
- i64-overflow.safetensors: an I64 tensor holding 2^31 (outside int32);
- expected.json: what a reader should return for all-dtypes: each tensor's values converted as
  torch's `.to(torch.float32)` / `.to(torch.int32)` (F16/BF16 are exact in float32; F64 rounds
  to nearest, as jax.numpy does with x64 off), with NaN/Infinity/-0 as strings.

Then, if test/fixtures/safetensors/tfjax-written.safetensors exists (written by tfjax's
encodeSafetensors, see the test), reads it back with the small spec reader below, checks every
rule of the spec and the values, and checks it is byte-identical to what the Hugging Face writer
lays out for the same tensors (dtype alignment descending, then name; compact JSON,
__metadata__ first, space padding). Run from the repo root:

    /usr/bin/python3 tools/safetensors-fixtures.py
"""
import json
import math
import os
import struct

import numpy as np
import torch

OUT = os.path.join('test', 'fixtures', 'safetensors')

NP_DTYPE = {
    'F64': np.dtype('<f8'), 'F32': np.dtype('<f4'), 'F16': np.dtype('<f2'), 'I64': np.dtype('<i8'),
    'I32': np.dtype('<i4'), 'I16': np.dtype('<i2'), 'I8': np.dtype('i1'), 'U8': np.dtype('u1'),
    'BOOL': np.dtype('?'), 'BF16': np.dtype('<u2'),  # BF16: raw 16-bit patterns
}
SIZE = {'F64': 8, 'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8, 'I32': 4, 'I16': 2, 'I8': 1, 'U8': 1, 'BOOL': 1}
# The Hugging Face writer's order (its Dtype enum, larger alignment first), used to check layout.
HF_RANK = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']


def bf16_bits(values):
    """Round-to-nearest-even BF16 bit patterns of float32 values (what torch's .bfloat16() does)."""
    t = torch.tensor(values, dtype=torch.float32).bfloat16()
    return t.view(torch.int16).numpy().astype(np.uint16)


def to_bytes(dtype, values):
    if dtype == 'BF16':
        return np.asarray(values, dtype=np.uint16).astype('<u2').tobytes()
    return np.asarray(values, dtype=NP_DTYPE[dtype]).tobytes()


def header_bytes(header, pad=True):
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    if pad:
        text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text


def write_file(path, tensors, metadata=None, key_order=None, pad=True):
    """tensors: list of (name, dtype, shape, raw bytes) in data order; JSON keys in key_order."""
    header, data, offset = {}, b'', 0
    if metadata is not None:
        header['__metadata__'] = metadata
    entries = {}
    for name, dtype, shape, raw in tensors:
        assert len(raw) == SIZE[dtype] * int(np.prod(shape, dtype=np.int64)), name
        entries[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    for name in key_order or entries:
        header[name] = entries[name]
    blob = header_bytes(header, pad) + data
    with open(path, 'wb') as f:
        f.write(blob)
    return blob


def json_value(x):
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    if math.isnan(x):
        return 'NaN'
    if math.isinf(x):
        return 'Infinity' if x > 0 else '-Infinity'
    if x == 0 and math.copysign(1, x) < 0:
        return '-0'
    return x


def torch_tensor(dtype, shape, raw):
    """The tensor a PyTorch user gets from these bytes (torch.frombuffer, then the shape)."""
    tdt = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
           'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8,
           'U8': torch.uint8, 'BOOL': torch.bool}[dtype]
    if len(raw) == 0:
        return torch.empty(shape, dtype=tdt)
    return torch.frombuffer(bytearray(raw), dtype=tdt).reshape(shape)


def expected_entry(dtype, shape, raw):
    t = torch_tensor(dtype, shape, raw)
    if dtype == 'BOOL':
        out, name = t, 'bool'
    elif dtype in ('F64', 'F32', 'F16', 'BF16'):
        out, name = t.to(torch.float32), 'float32'
    else:
        out, name = t.to(torch.int32), 'int32'
    vals = out.reshape(-1).tolist()
    return {'fileDtype': dtype, 'dtype': name, 'shape': list(shape), 'values': [json_value(v) for v in vals]}


def all_dtypes():
    f16 = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08, np.inf, -np.inf, np.nan], dtype='<f2')
    bf = bf16_bits([0.0, -0.0, 1.0, -2.5, 3.3895314e38, 1e-40, 0.1, np.inf, -np.inf, np.nan])
    f64 = [0.5, -1.25, 0.1, 1e-3, 3.4028234663852886e38, 1e300, -1e300, 1e-320, -0.0, np.nan]
    f32 = np.array([1.0, -2.5, 3.4028235e38, 1e-45, np.nan, -0.0], dtype='<f4')
    tensors = [
        # name, dtype, shape, bytes (data order: as the HF writer would, large dtypes first)
        ('f64', 'F64', [2, 5], to_bytes('F64', f64)),
        ('i64', 'I64', [5], to_bytes('I64', [0, -1, 2**31 - 1, -(2**31), 123456789])),
        ('i64_scalar', 'I64', [], to_bytes('I64', [-7])),
        ('f32', 'F32', [3, 2], f32.tobytes()),
        ('f32_empty', 'F32', [0], b''),
        ('f32_empty2d', 'F32', [2, 0, 3], b''),
        ('f32_scalar', 'F32', [], to_bytes('F32', [0.375])),
        ('i32', 'I32', [2, 2], to_bytes('I32', [0, -1, 2**31 - 1, -(2**31)])),
        ('bf16', 'BF16', [10], to_bytes('BF16', bf)),
        ('f16', 'F16', [5, 2], f16.tobytes()),
        ('i16', 'I16', [4], to_bytes('I16', [0, -1, 32767, -32768])),
        ('i8', 'I8', [4], to_bytes('I8', [0, -1, 127, -128])),
        ('u8', 'U8', [2, 2], to_bytes('U8', [0, 1, 128, 255])),
        ('bool', 'BOOL', [3], to_bytes('BOOL', [True, False, True])),
        ('bool_empty', 'BOOL', [0], b''),
    ]
    metadata = {'format': 'pt', 'note': 'ünïcode ☃', 'empty': ''}
    key_order = sorted((t[0] for t in tensors), reverse=True)  # not the data order
    write_file(os.path.join(OUT, 'all-dtypes.safetensors'), tensors, metadata, key_order)
    expected = {'metadata': metadata, 'tensors': {n: expected_entry(d, s, b) for n, d, s, b in tensors}}
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write('\n')


def small_files():
    # A header of 61 bytes, left unpadded.
    blob = write_file(os.path.join(OUT, 'unpadded.safetensors'), [('x', 'F16', [2], to_bytes('F16', [1.5, -3]))], pad=False)
    assert struct.unpack('<Q', blob[:8])[0] % 8 != 0
    write_file(os.path.join(OUT, 'i64-overflow.safetensors'), [('big', 'I64', [3], to_bytes('I64', [1, 2**31, 3]))])


# ---------------------------------------------------------------------------------------------
# A small reader that follows the spec, to check files tfjax writes.

def read_spec(blob):
    assert len(blob) >= 8, 'shorter than the header length'
    (n,) = struct.unpack('<Q', blob[:8])
    assert 8 + n <= len(blob), 'header length past the end'
    text = blob[8:8 + n].decode('utf-8')
    assert text.startswith('{'), 'header must start with {'
    pairs = json.loads(text, object_pairs_hook=lambda kv: kv)
    names = [k for k, _ in pairs]
    assert len(names) == len(set(names)), 'duplicate names'
    header = dict(pairs)
    meta = dict(header.pop('__metadata__', []))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()), 'metadata must map strings to strings'
    data = blob[8 + n:]
    entries = sorted(((k, dict(v)) for k, v in header.items()), key=lambda kv: tuple(kv[1]['data_offsets']))
    end = 0
    out = {}
    for name, e in entries:
        b, f = e['data_offsets']
        assert b == end, f'{name}: gap or overlap at {b} (previous end {end})'
        assert f - b == SIZE[e['dtype']] * int(np.prod(e['shape'], dtype=np.int64)), f'{name}: size mismatch'
        out[name] = torch_tensor(e['dtype'], e['shape'], data[b:f])
        end = f
    assert end == len(data), 'trailing bytes'
    return out, meta, n, text


# The tensors the test writes with encodeSafetensors (keep in sync with the test file).
TFJAX_WRITTEN = {
    'w': ('F32', [2, 3], [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]),
    'scalar': ('F32', [], [3.25]),
    'empty': ('F32', [0], []),
    'idx': ('I32', [4], [0, -1, 2**31 - 1, -(2**31)]),
    'é': ('I32', [1], [7]),
    'mask': ('BOOL', [2, 2], [True, False, False, True]),
}
TFJAX_METADATA = {'format': 'pt', 'note': 'ünïcode'}


def hf_layout(tensors, metadata):
    """The bytes the Hugging Face writer produces: dtype alignment descending, then name."""
    order = sorted(tensors, key=lambda n: (-HF_RANK.index(tensors[n][0]), n.encode('utf-8')))
    header, data = {'__metadata__': dict(sorted(metadata.items()))}, b''
    for n in order:
        dtype, shape, vals = tensors[n]
        raw = to_bytes(dtype, vals)
        header[n] = {'dtype': dtype, 'shape': shape, 'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    return header_bytes(header) + data


def verify_tfjax_written():
    path = os.path.join(OUT, 'tfjax-written.safetensors')
    if not os.path.exists(path):
        print(f'{path} not found: run the test once to write it, then rerun this script')
        return
    with open(path, 'rb') as f:
        blob = f.read()
    tensors, meta, n, text = read_spec(blob)
    assert n % 8 == 0 and text == text.rstrip(' ') + ' ' * (len(text) - len(text.rstrip(' '))), 'padding'
    assert meta == TFJAX_METADATA, meta
    assert set(tensors) == set(TFJAX_WRITTEN), tensors.keys()
    for name, (dtype, shape, vals) in TFJAX_WRITTEN.items():
        t = tensors[name]
        assert list(t.shape) == shape, (name, t.shape)
        assert t.reshape(-1).tolist() == vals, (name, t.reshape(-1).tolist())
    assert blob == hf_layout(TFJAX_WRITTEN, TFJAX_METADATA), 'layout differs from the Hugging Face writer'
    print(f'{path}: read back by the spec reader, values and Hugging Face layout match')


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    all_dtypes()
    small_files()
    for name in ('all-dtypes', 'unpadded', 'i64-overflow'):
        with open(os.path.join(OUT, f'{name}.safetensors'), 'rb') as f:
            read_spec(f.read())  # our own files follow the spec too
    verify_tfjax_written()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f'wrote {OUT} ({total} bytes in all)')
