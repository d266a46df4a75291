import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeSafetensors,
  decodeSafetensorsHeader,
  encodeSafetensors,
  SafetensorsError,
  type TensorData,
} from '../../lib/io/safetensors.js';
import { readSafetensorsFile, readSafetensorsHeader, writeSafetensorsFile } from '../../lib/io/safetensors-file.js';
import { writeFileAtomic } from '../../lib/io/atomic.js';

// ---------------------------------------------------------------------------------------------
// Helpers: build files by hand, byte by byte.

const ascii = (s: string) => new TextEncoder().encode(s);
const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const u64le = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
/** A file from a header JSON text (padded with spaces to 8 bytes, as HF does) and data bytes. */
const file = (headerJson: string, data: Uint8Array, pad = true) => {
  let h = ascii(headerJson);
  if (pad && h.length % 8) h = concat(h, ascii(' '.repeat(8 - (h.length % 8))));
  return concat(u64le(h.length), h, data);
};
/** One-entry header: `{"x": {dtype, shape, data_offsets}}`. */
const one = (dtype: string, shape: number[], bytes: Uint8Array) =>
  file(JSON.stringify({ x: { dtype, shape, data_offsets: [0, bytes.length] } }), bytes);

/** The error message thrown by `f`, failing the test if it does not throw. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.instance(e, SafetensorsError);
    return (e as Error).message;
  }
  throw new assert.Assertion({ message: 'expected an error', operator: 'throws', generated: false, actual: undefined, expects: undefined });
}

const sameTensor = (a: TensorData, b: TensorData) => {
  assert.is(a.dtype, b.dtype);
  assert.equal([...a.shape], [...b.shape]);
  assert.is(a.data.constructor, b.data.constructor);
  assert.equal(Array.from(a.data), Array.from(b.data));
};

// A file written by hand: metadata, F32 [2, 2], I32 [3], BOOL [3]; offsets laid out as HF does.
const HAND_HEADER =
  '{"__metadata__":{"format":"pt"},' +
  '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
  '"idx":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},' +
  '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[28,31]}}';
const HAND_DATA = hex(`
  0000803f 000020c0 00000000 0000c07f
  01000000 ffffffff 00000080
  01 00 01`); // 1, -2.5, 0, NaN | 1, -1, -2^31 | true false true
const HAND_FILE = file(HAND_HEADER, HAND_DATA);

// ---------------------------------------------------------------------------------------------

const Format = suite('safetensors: format');

Format('decodes a file written by hand byte by byte', () => {
  assert.is(HAND_HEADER.length, 204); // padded with 4 spaces to 208
  assert.equal(Array.from(HAND_FILE.subarray(0, 8)), [208, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(Array.from(HAND_FILE.subarray(8 + 204, 8 + 208)), [32, 32, 32, 32]);
  assert.is(HAND_FILE.length, 8 + 208 + 31);
  const { tensors, metadata } = decodeSafetensors(HAND_FILE, 'hand.safetensors');
  assert.equal(metadata, { format: 'pt' });
  assert.equal(Object.keys(tensors).sort(), ['idx', 'mask', 'w']);
  assert.is(tensors.w.dtype, 'float32');
  assert.equal(tensors.w.shape, [2, 2]);
  assert.instance(tensors.w.data, Float32Array);
  assert.equal(Array.from(tensors.w.data).slice(0, 3), [1, -2.5, 0]);
  assert.ok(Number.isNaN(tensors.w.data[3]));
  assert.is(tensors.idx.dtype, 'int32');
  assert.instance(tensors.idx.data, Int32Array);
  assert.equal(Array.from(tensors.idx.data), [1, -1, -(2 ** 31)]);
  assert.is(tensors.mask.dtype, 'bool');
  assert.instance(tensors.mask.data, Uint8Array);
  assert.equal(Array.from(tensors.mask.data), [1, 0, 1]);
  assert.is(tensors.mask.fileDtype, 'BOOL');
});

Format('encodes exactly the bytes of the hand-written file (HF layout, padding, key order)', () => {
  const bytes = encodeSafetensors(
    {
      mask: { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
      w: { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, -2.5, 0, NaN]) },
      idx: { dtype: 'int32', shape: [3], data: new Int32Array([1, -1, -(2 ** 31)]) },
    },
    { format: 'pt' },
  );
  assert.equal(Array.from(bytes), Array.from(HAND_FILE));
});

Format('the header is padded with spaces to a multiple of 8 and tensors are aligned', () => {
  for (let n = 0; n < 9; n++) {
    const name = 'a'.repeat(n);
    const bytes = encodeSafetensors({
      [name]: { dtype: 'bool', shape: [1], data: new Uint8Array([1]) },
      [`${name}z`]: { dtype: 'float32', shape: [1], data: new Float32Array([3]) },
    });
    const h = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.is(h % 8, 0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + h));
    assert.ok(/^\{.*\} *$/.test(text), text);
    // float32 first (aligned), bool after it
    const header = decodeSafetensorsHeader(bytes);
    assert.equal(header.order, [`${name}z`, name]);
    assert.equal(header.entries[`${name}z`].dataOffsets, [0, 4]);
  }
});

Format('no metadata: no __metadata__ key; empty file of tensors is valid', () => {
  const bytes = encodeSafetensors({});
  assert.equal(Array.from(bytes), Array.from(file('{}', new Uint8Array(0))));
  assert.equal(decodeSafetensors(bytes), { tensors: {}, metadata: {} });
});

Format('round trip of every writable dtype, scalars and empty tensors', () => {
  const tensors: Record<string, TensorData> = {
    f: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1.5, -0, Infinity, -Infinity, 3.4e38, 1e-45]) },
    i: { dtype: 'int32', shape: [4], data: new Int32Array([0, 2147483647, -2147483648, -7]) },
    b: { dtype: 'bool', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
    scalar: { dtype: 'float32', shape: [], data: new Float32Array([42]) },
    empty: { dtype: 'int32', shape: [0, 5], data: new Int32Array(0) },
    'name with "quotes" and ünïcode': { dtype: 'float32', shape: [1], data: new Float32Array([7]) },
  };
  const meta = { a: '1', 'b.c': 'ünï "x"\n' };
  const back = decodeSafetensors(encodeSafetensors(tensors, meta));
  assert.equal(back.metadata, meta);
  assert.equal(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
  for (const k of Object.keys(tensors)) sameTensor(back.tensors[k], tensors[k]);
  assert.ok(Object.is(back.tensors.f.data[1], -0));
});

Format('bool data is written as 0/1 bytes', () => {
  const back = decodeSafetensors(encodeSafetensors({ b: { dtype: 'bool', shape: [3], data: new Uint8Array([0, 5, 255]) } }));
  assert.equal(Array.from(back.tensors.b.data), [0, 1, 1]);
});

Format('property: random tensors round trip', () => {
  const dtypeArb = fc.constantFrom('float32' as const, 'int32' as const, 'bool' as const);
  const tensorArb = fc
    .tuple(dtypeArb, fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
    .chain(([dtype, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values =
        dtype === 'float32'
          ? fc.float32Array({ minLength: n, maxLength: n })
          : dtype === 'int32'
            ? fc.int32Array({ minLength: n, maxLength: n })
            : fc.uint8Array({ minLength: n, maxLength: n, max: 1 });
      return values.map((data): TensorData => ({ dtype, shape, data }));
    });
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== '__metadata__'), tensorArb, { maxKeys: 5 }), (tensors) => {
      const bytes = encodeSafetensors(tensors);
      const back = decodeSafetensors(bytes);
      assert.equal(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
      for (const k of Object.keys(tensors)) {
        const a = back.tensors[k];
        const b = tensors[k];
        assert.is(a.dtype, b.dtype);
        assert.equal(a.shape, b.shape);
        // compare bit patterns so NaN payloads and -0 count
        assert.equal(Array.from(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength)), Array.from(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength)));
      }
    }),
    { numRuns: 100 },
  );
});

Format.run();

// ---------------------------------------------------------------------------------------------

const Dtypes = suite('safetensors: reading other dtypes');

Dtypes('F16 (normal, negative, subnormal, inf, NaN) -> float32', () => {
  const t = decodeSafetensors(one('F16', [6], hex('003c 00c0 0100 007c 00fc 007e'))).tensors.x;
  assert.is(t.dtype, 'float32');
  assert.is(t.fileDtype, 'F16');
  assert.equal(Array.from(t.data).slice(0, 5), [1, -2, 2 ** -24, Infinity, -Infinity]);
  assert.ok(Number.isNaN(t.data[5]));
});

Dtypes('BF16 -> float32', () => {
  const t = decodeSafetensors(one('BF16', [3], hex('803f 40c0 c07f'))).tensors.x;
  assert.is(t.dtype, 'float32');
  assert.equal(Array.from(t.data).slice(0, 2), [1, -3]);
  assert.ok(Number.isNaN(t.data[2]));
});

Dtypes('F64 -> float32', () => {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setFloat64(0, 1.5, true);
  new DataView(b.buffer).setFloat64(8, 0.1, true);
  const t = decodeSafetensors(one('F64', [2], b)).tensors.x;
  assert.is(t.dtype, 'float32');
  assert.equal(Array.from(t.data), [1.5, Math.fround(0.1)]);
});

Dtypes('I64 -> int32, and a clear error when a value does not fit', () => {
  const vals = [0n, -5n, 2147483647n, -2147483648n];
  const b = new Uint8Array(8 * vals.length);
  vals.forEach((v, i) => new DataView(b.buffer).setBigInt64(8 * i, v, true));
  const t = decodeSafetensors(one('I64', [4], b)).tensors.x;
  assert.is(t.dtype, 'int32');
  assert.equal(Array.from(t.data), [0, -5, 2147483647, -2147483648]);
  new DataView(b.buffer).setBigInt64(16, 2147483648n, true);
  assert.is(errorOf(() => decodeSafetensors(one('I64', [4], b), 'steps.safetensors')), 'safetensors steps.safetensors: tensor "x": I64 value 2147483648 at index 2 does not fit in int32');
});

Dtypes('U8, I8, I16, U16 -> int32', () => {
  assert.equal(Array.from(decodeSafetensors(one('U8', [2], hex('ff01'))).tensors.x.data), [255, 1]);
  assert.equal(Array.from(decodeSafetensors(one('I8', [2], hex('ff01'))).tensors.x.data), [-1, 1]);
  assert.equal(Array.from(decodeSafetensors(one('I16', [2], hex('ffff 0080'))).tensors.x.data), [-1, -32768]);
  assert.equal(Array.from(decodeSafetensors(one('U16', [2], hex('ffff 0080'))).tensors.x.data), [65535, 32768]);
});

Dtypes.run();

// ---------------------------------------------------------------------------------------------

const Errors = suite('safetensors: validation errors');

Errors('truncated data section', () => {
  const cut = HAND_FILE.subarray(0, HAND_FILE.length - 10);
  assert.is(
    errorOf(() => decodeSafetensors(cut, 'runs/w.safetensors')),
    'safetensors runs/w.safetensors: truncated: header says 31 bytes of data, file has 21 (tensor "mask" ends at byte 31)',
  );
});

Errors('truncated inside the header, and shorter than the length field', () => {
  assert.is(errorOf(() => decodeSafetensors(HAND_FILE.subarray(0, 100), 'f')), 'safetensors f: truncated: header says 208 bytes of header, file has 92 after the length field');
  assert.is(errorOf(() => decodeSafetensors(HAND_FILE.subarray(0, 5), 'f')), 'safetensors f: truncated: file is 5 bytes, shorter than the 8-byte header length');
});

Errors('not a safetensors file (huge header length)', () => {
  const zip = concat(ascii('PK\u0003\u0004\u0014\u0000\u0000\u0000'), new Uint8Array(100));
  assert.match(errorOf(() => decodeSafetensors(zip, 'model.pt')), /^safetensors model\.pt: corrupt: header length field says \d+ bytes, more than the 100000000 allowed \(is this a safetensors file\?\)$/);
});

Errors('corrupt header: bad JSON, not an object, not UTF-8', () => {
  const bad = HAND_FILE.slice();
  bad[8 + HAND_HEADER.indexOf('"w":') + 3] = 0x2c; // '"w",{' instead of '"w":{'
  assert.match(errorOf(() => decodeSafetensors(bad, 'f')), /^safetensors f: corrupt header: not valid JSON \(/);
  assert.is(errorOf(() => decodeSafetensors(file('[1,2]', new Uint8Array(0)), 'f')), "safetensors f: corrupt header: does not start with '{' (is this a safetensors file?)");
  assert.is(errorOf(() => decodeSafetensors(file('{}', new Uint8Array(0)).fill(0xff, 8, 9), 'f')), 'safetensors f: corrupt header: not valid UTF-8');
});

Errors('overlapping offsets name both tensors', () => {
  const h = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
  assert.is(errorOf(() => decodeSafetensors(file(h, new Uint8Array(12)), 'f')), 'safetensors f: tensor "b": data_offsets [4, 12] overlap tensor "a", which ends at byte 8');
});

Errors('gaps and trailing bytes', () => {
  const h = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
  assert.is(errorOf(() => decodeSafetensors(file(h, new Uint8Array(12)), 'f')), 'safetensors f: gap in the data section: bytes [4, 8) belong to no tensor (next tensor: "b")');
  const t = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  assert.is(errorOf(() => decodeSafetensors(file(t, new Uint8Array(6)), 'f')), 'safetensors f: corrupt: the data section has 6 bytes but the tensors cover only 4 (trailing bytes)');
});

Errors('offsets that do not match the shape, bad shapes, bad offsets, unknown dtypes', () => {
  const cases: [string, string][] = [
    ['{"w":{"dtype":"F32","shape":[3,3],"data_offsets":[0,32]}}', 'tensor "w": shape [3, 3] of F32 needs 36 bytes, but data_offsets [0, 32] give 32'],
    ['{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,32]}}', 'tensor "w": shape must be an array of non-negative integers, found [2,-1]'],
    ['{"w":{"dtype":"F32","shape":[8],"data_offsets":[32]}}', 'tensor "w": data_offsets must be [begin, end] with non-negative integers, found [32]'],
    ['{"w":{"dtype":"F32","shape":[0],"data_offsets":[32,0]}}', 'tensor "w": data_offsets [32, 0] end before they begin'],
    ['{"w":{"dtype":"Q4","shape":[8],"data_offsets":[0,32]}}', 'tensor "w": unknown or unsupported dtype "Q4" (supported: F32, I32, BOOL, F16, BF16, F64, I64, U8, I8, I16, U16)'],
    ['{"w":[1,2]}', 'tensor "w": entry is not an object: [1,2]'],
    ['{"__metadata__":{"a":1}}', '__metadata__ value for "a" is not a string: 1'],
  ];
  for (const [h, msg] of cases) assert.is(errorOf(() => decodeSafetensors(file(h, new Uint8Array(32)), 'f')), `safetensors f: ${msg}`);
});

Errors('BOOL bytes other than 0 and 1 are rejected', () => {
  assert.is(errorOf(() => decodeSafetensors(one('BOOL', [3], hex('010200')), 'f')), 'safetensors f: tensor "x": BOOL value 2 at index 1 is neither 0 nor 1');
});

Errors('encoding errors: reserved name, data length, dtype', () => {
  assert.match(errorOf(() => encodeSafetensors({ __metadata__: { dtype: 'float32', shape: [], data: new Float32Array(1) } })), /"__metadata__" is reserved/);
  assert.is(
    errorOf(() => encodeSafetensors({ w: { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) } })),
    'safetensors <encode>: tensor "w": shape [2, 2] has 4 elements, but the data has 3',
  );
  assert.match(errorOf(() => encodeSafetensors({ w: { dtype: 'complex64' as 'float32', shape: [1], data: new Float32Array(2) } })), /cannot write dtype "complex64"/);
});

Errors.run();

// ---------------------------------------------------------------------------------------------

const Files = suite('safetensors: files and atomic writes');
let dir = '';
Files.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfjax-st-'));
});
Files.after(async () => {
  await rm(dir, { recursive: true, force: true });
});
const tempFiles = async () => (await readdir(dir)).filter((n) => n.includes('.tmp-'));

Files('write then read a file; lazy data; header-only read', async () => {
  const p = join(dir, 'a.safetensors');
  await writeSafetensorsFile(
    p,
    {
      w: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) },
      lazy: { dtype: 'int32', shape: [3], data: async () => [4, 5, 6] },
    },
    { step: '3' },
  );
  const { tensors, metadata } = await readSafetensorsFile(p);
  assert.equal(metadata, { step: '3' });
  sameTensor(tensors.w, { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) });
  sameTensor(tensors.lazy, { dtype: 'int32', shape: [3], data: new Int32Array([4, 5, 6]) });
  const h = await readSafetensorsHeader(p);
  assert.equal(h.order, ['w', 'lazy']);
  assert.equal(h.entries.lazy, { dtype: 'I32', shape: [3], dataOffsets: [8, 20] });
  assert.equal(await tempFiles(), []);
});

Files('readSafetensorsHeader detects a truncated file without reading the data', async () => {
  const p = join(dir, 'cut.safetensors');
  await writeFile(p, HAND_FILE.subarray(0, HAND_FILE.length - 1));
  try {
    await readSafetensorsHeader(p);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SafetensorsError);
    assert.is((e as Error).message, `safetensors ${p}: truncated: header says 31 bytes of data, file has 30 (tensor "mask" ends at byte 31)`);
  }
});

Files('a failure mid-write leaves the previous file and no temporary file', async () => {
  const p = join(dir, 'b.safetensors');
  await writeSafetensorsFile(p, { a: { dtype: 'float32', shape: [1], data: new Float32Array([1]) } });
  const before = await readFile(p);
  let called = false;
  try {
    await writeSafetensorsFile(p, {
      a: { dtype: 'float32', shape: [1], data: new Float32Array([9]) },
      b: {
        dtype: 'float32',
        shape: [1],
        data: async () => {
          called = true;
          throw new Error('device lost');
        },
      },
    });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'device lost');
  }
  assert.ok(called);
  assert.equal(await readFile(p), before);
  assert.equal(await tempFiles(), []);
  // wrong data length is caught while writing, too
  try {
    await writeSafetensorsFile(p, { a: { dtype: 'float32', shape: [2], data: async () => [1] } });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, `safetensors ${p}: tensor "a": shape [2] has 2 elements, but the data has 1`);
  }
  assert.equal(await readFile(p), before);
  assert.equal(await tempFiles(), []);
});

Files('writeFileAtomic removes its temporary file when writing throws', async () => {
  const p = join(dir, 'c.bin');
  await writeFile(p, 'old');
  try {
    await writeFileAtomic(p, async (fh) => {
      await fh.write(ascii('partial'));
      assert.equal((await tempFiles()).length, 1);
      throw new Error('disk full');
    });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'disk full');
  }
  assert.is(await readFile(p, 'utf8'), 'old');
  assert.equal(await tempFiles(), []);
});

Files.run();
