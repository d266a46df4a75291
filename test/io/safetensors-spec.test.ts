/**
 * Safetensors against the spec and against files written independently of tfjax: the fixtures of
 * test/fixtures/safetensors/ are built byte by byte by tools/safetensors-fixtures.py (values
 * converted by torch), and tfjax-written.safetensors, written by our encoder, is read back there
 * by a spec-following Python reader and compared with the Hugging Face writer's layout.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstDuplicateKey } from '../../lib/io/json-duplicate-keys.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type TensorData } from '../../lib/io/safetensors.js';
import { readSafetensorsFile, readSafetensorsHeader, writeSafetensorsFile } from '../../lib/io/safetensors-file.js';

const FIXTURES = new URL('../fixtures/safetensors/', import.meta.url);
const fixture = async (name: string) => new Uint8Array(await readFile(new URL(name, FIXTURES)));

interface Expected {
  readonly metadata: Record<string, string>;
  readonly tensors: Record<string, { fileDtype: string; dtype: string; shape: number[]; values: (number | string | boolean)[] }>;
}
/** JSON's stand-ins for the numbers it cannot hold, as the generator writes them. */
const jsonNumber = (v: number | string | boolean): number => (v === '-0' ? -0 : typeof v === 'string' ? Number(v) : Number(v));

/** The one-line SafetensorsError message of `f` (fails the test if `f` does not throw one). */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.instance(e, SafetensorsError);
    const m = (e as Error).message;
    assert.not.match(m, /\n/);
    return m;
  }
  return assert.unreachable('expected a SafetensorsError') as never;
}

const enc = new TextEncoder();
/** A file from header JSON text (space-padded to 8 bytes) and `data` bytes (or that many zeros). */
function file(header: string, data: Uint8Array | number = 0): Uint8Array {
  const h = enc.encode(header + ' '.repeat((8 - (enc.encode(header).length % 8)) % 8));
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}
const entry = (dtype: string, shape: number[], offsets: [number, number]) => ({ dtype, shape, data_offsets: offsets });

// ---------------------------------------------------------------------------------------------

const Read = suite('safetensors spec: files written by hand in Python');

Read('every spec dtype, 0-d and empty tensors and metadata decode as torch converts them', async () => {
  const bytes = await fixture('all-dtypes.safetensors');
  const expected = JSON.parse(await readFile(new URL('expected.json', FIXTURES), 'utf8')) as Expected;
  const { tensors, metadata } = decodeSafetensors(bytes, 'all-dtypes.safetensors');
  assert.equal(metadata, expected.metadata);
  assert.equal(Object.keys(tensors).sort(), Object.keys(expected.tensors).sort());
  for (const [name, want] of Object.entries(expected.tensors)) {
    const t = tensors[name];
    assert.is(t.fileDtype, want.fileDtype, name);
    assert.is(t.dtype, want.dtype, name);
    assert.equal([...t.shape], want.shape, name);
    assert.is(t.data.constructor, { float32: Float32Array, int32: Int32Array, bool: Uint8Array }[t.dtype], name);
    const got = Array.from(t.data, (x) => (t.dtype === 'bool' ? x === 1 : x));
    const values = want.values.map((v) => (typeof v === 'boolean' ? v : jsonNumber(v)));
    // Exact: F16/BF16 (subnormals, ±0, ±inf, NaN) are exact in float32; F64 rounds to nearest
    // (0.1, 1e-320 -> 0, 1e300 -> inf), as torch's .to(float32) and jax.numpy with x64 off.
    assert.ok(
      got.length === values.length && got.every((x, i) => Object.is(x, values[i])),
      `${name}: got ${got.map(String)} want ${values.map(String)}`,
    );
  }
});

Read('tensors are laid out by data_offsets, whatever the JSON key order; the header alone can be read', async () => {
  const bytes = await fixture('all-dtypes.safetensors');
  const dir = await mkdtemp(join(tmpdir(), 'tfjax-st-spec-'));
  try {
    const p = join(dir, 'a.safetensors');
    await writeFile(p, bytes);
    const header = await readSafetensorsHeader(p);
    // The generator wrote the JSON keys in reverse name order and the data in this order.
    // (Empty tensors share an offset with their neighbour, so their place in `order` is free.)
    const nonEmpty = header.order.filter((n) => header.entries[n].dataOffsets[0] !== header.entries[n].dataOffsets[1]);
    assert.equal(nonEmpty, ['f64', 'i64', 'i64_scalar', 'f32', 'f32_scalar', 'i32', 'bf16', 'f16', 'i16', 'i8', 'u8', 'bool']);
    assert.equal(header.entries['f32_scalar'].dataOffsets, [152, 156]);
    const fromFile = await readSafetensorsFile(p);
    assert.equal(Object.keys(fromFile.tensors), header.order);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Read('an unpadded header is valid (padding is the writer’s choice)', async () => {
  const bytes = await fixture('unpadded.safetensors');
  assert.is.not(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) % 8, 0);
  const { tensors } = decodeSafetensors(bytes);
  assert.equal(Array.from(tensors.x.data), [1.5, -3]);
  assert.is(tensors.x.fileDtype, 'F16');
});

Read('dtypes that do not fit are refused in one line naming the file, the tensor and the dtype', async () => {
  assert.is(
    errorOf(() => decodeSafetensors(Uint8Array.from([]), 'x')),
    'safetensors x: truncated: file is 0 bytes, shorter than the 8-byte header length',
  );
  const big = await fixture('i64-overflow.safetensors');
  assert.is(errorOf(() => decodeSafetensors(big, 'big.safetensors')), 'safetensors big.safetensors: tensor "big": I64 value 2147483648 at index 1 does not fit in int32');
  for (const dtype of ['U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'C64', 'float32']) {
    const m = errorOf(() => decodeSafetensors(file(JSON.stringify({ w: entry(dtype, [1], [0, 8]) }), 8), 'm.safetensors'));
    assert.ok(m.startsWith(`safetensors m.safetensors: tensor "w": unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: `), m);
  }
});

Read.run();

// ---------------------------------------------------------------------------------------------

const Write = suite('safetensors spec: files tfjax writes');

// The same tensors as TFJAX_WRITTEN in tools/safetensors-fixtures.py, which checks the fixture.
const WRITTEN: Record<string, TensorData> = {
  w: { dtype: 'float32', shape: [2, 3], data: new Float32Array([-1, -0.5, 0, 0.5, 1, 1.5]) },
  scalar: { dtype: 'float32', shape: [], data: new Float32Array([3.25]) },
  empty: { dtype: 'float32', shape: [0], data: new Float32Array([]) },
  idx: { dtype: 'int32', shape: [4], data: new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31)]) },
  é: { dtype: 'int32', shape: [1], data: new Int32Array([7]) },
  mask: { dtype: 'bool', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
};
const WRITTEN_META = { note: 'ünïcode', format: 'pt' };

Write('encodeSafetensors and writeSafetensorsFile give the bytes the Python spec reader checked', async () => {
  const want = await fixture('tfjax-written.safetensors');
  assert.equal(Array.from(encodeSafetensors(WRITTEN, WRITTEN_META)), Array.from(want));
  const dir = await mkdtemp(join(tmpdir(), 'tfjax-st-spec-'));
  try {
    const p = join(dir, 'w.safetensors');
    const lazy = Object.fromEntries(Object.entries(WRITTEN).map(([k, t]) => [k, { ...t, data: async () => t.data }]));
    await writeSafetensorsFile(p, lazy, WRITTEN_META);
    assert.equal(Array.from(await readFile(p)), Array.from(want));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const back = decodeSafetensors(want);
  for (const [k, t] of Object.entries(WRITTEN)) {
    assert.equal([...back.tensors[k].shape], [...t.shape]);
    assert.equal(Array.from(back.tensors[k].data), Array.from(t.data));
  }
});

Write.run();

// ---------------------------------------------------------------------------------------------

const Malformed = suite('safetensors spec: malformed files');

const F32x2 = (offsets: [number, number]) => entry('F32', [2], offsets);

Malformed('each problem is one line naming the file and what is wrong', () => {
  const withLength = (n: bigint) => {
    const f = file('{}');
    new DataView(f.buffer).setBigUint64(0, n, true);
    return f;
  };
  const cases: [string, Uint8Array, string][] = [
    ['short', new Uint8Array(5), 'truncated: file is 5 bytes, shorter than the 8-byte header length'],
    ['past the end', withLength(100n), 'truncated: header says 100 bytes of header, file has 8 after the length field'],
    ['huge length', withLength(2n ** 63n), 'corrupt: header length field says 9223372036854775808 bytes, more than the 100000000 allowed (is this a safetensors file?)'],
    ['bad JSON', file('{"a": {'), 'corrupt header: not valid JSON ('],
    ['not an object', file('[1]'), "corrupt header: does not start with '{' (is this a safetensors file?)"],
    ['out of range', file(JSON.stringify({ a: F32x2([0, 8]) }), 4), 'truncated: header says 8 bytes of data, file has 4 (tensor "a" ends at byte 8)'],
    ['overlap', file(JSON.stringify({ a: F32x2([0, 8]), b: entry('F32', [1], [4, 8]) }), 8), 'tensor "b": data_offsets [4, 8] overlap tensor "a", which ends at byte 8'],
    ['gap', file(JSON.stringify({ a: entry('F32', [1], [4, 8]) }), 8), 'gap in the data section: bytes [0, 4) belong to no tensor (next tensor: "a")'],
    ['trailing', file(JSON.stringify({ a: entry('F32', [1], [0, 4]) }), 8), 'corrupt: the data section has 8 bytes but the tensors cover only 4 (trailing bytes)'],
    ['shape/offsets', file(JSON.stringify({ a: entry('F32', [3], [0, 8]) }), 8), 'tensor "a": shape [3] of F32 needs 12 bytes, but data_offsets [0, 8] give 8'],
    ['end < begin', file(JSON.stringify({ a: entry('F32', [0], [4, 0]) }), 4), 'tensor "a": data_offsets [4, 0] end before they begin'],
    ['bad shape', file(JSON.stringify({ a: entry('F32', [1.5], [0, 4]) }), 4), 'tensor "a": shape must be an array of non-negative integers, found [1.5]'],
    ['bad offsets', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}', 4), 'tensor "a": data_offsets must be [begin, end] with non-negative integers, found ["0","4"]'],
    ['metadata number', file('{"__metadata__":{"k":1}}'), '__metadata__ value for "k" is not a string: 1'],
    ['metadata array', file('{"__metadata__":["k"]}'), '__metadata__ is not an object of strings'],
    ['BOOL 2', file(JSON.stringify({ a: entry('BOOL', [1], [0, 1]) }), Uint8Array.of(2)), 'tensor "a": BOOL value 2 at index 0 is neither 0 nor 1'],
    // JSON.parse keeps the last of two equal keys: a duplicate must not pass silently.
    ['duplicate name', file(`{"a":${JSON.stringify(F32x2([0, 8]))},"a":${JSON.stringify(F32x2([0, 8]))}}`, 8), 'corrupt header: the name "a" appears twice'],
    ['duplicate name, other offsets', file(`{"a":${JSON.stringify(entry('F32', [1], [0, 4]))},"a":${JSON.stringify(entry('F32', [1], [4, 8]))}}`, 8), 'corrupt header: the name "a" appears twice'],
    ['duplicate metadata key', file('{"__metadata__":{"k":"1","k":"2"}}'), 'corrupt header: key "k" appears twice in "__metadata__"'],
    ['duplicate field', file('{"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}', 4), 'corrupt header: key "dtype" appears twice in "a"'],
  ];
  for (const [what, bytes, reason] of cases) {
    const m = errorOf(() => decodeSafetensors(bytes, `${what}.safetensors`));
    assert.ok(m.startsWith(`safetensors ${what}.safetensors: ${reason}`), `${what}: ${m}`);
  }
});

Malformed('firstDuplicateKey follows JSON: escapes, nesting, arrays, values that look like keys', () => {
  assert.is(firstDuplicateKey('{"a":1,"b":{"a":2},"c":["a","a"],"d":"a"}'), undefined);
  assert.equal(firstDuplicateKey('{"a\\"":1, "a\\u0022" : 2}'), { key: 'a"', under: undefined });
  assert.equal(firstDuplicateKey('{"x":[{"k":1},{"k":2,"k":3}]}'), { key: 'k', under: 'x' });
  assert.equal(firstDuplicateKey('{"x":{},"y":{"}":1,"}":2}}'), { key: '}', under: 'y' });
});

Malformed('unreadable files are SafetensorsErrors naming the path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tfjax-st-spec-'));
  try {
    const missing = join(dir, 'missing.safetensors');
    for (const [p, code] of [[missing, 'ENOENT'], [dir, 'EISDIR']] as const) {
      for (const read of [readSafetensorsFile, readSafetensorsHeader]) {
        try {
          await read(p);
          assert.unreachable('expected an error');
        } catch (e) {
          assert.instance(e, SafetensorsError);
          assert.ok((e as Error).message.startsWith(`safetensors ${p}: cannot read the file: ${code}`), (e as Error).message);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Malformed.run();
