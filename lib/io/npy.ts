/**
 * NumPy `.npy` and `.npz` files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 *
 * A `.npy` file is the magic `\x93NUMPY`, a format version (1.0, 2.0 or 3.0), the header length
 * (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a newline
 * so that the data starts at a multiple of 64 bytes, then the raw data. A `.npz` file is a zip
 * archive of `.npy` files (stored by `np.savez`, deflated by `np.savez_compressed`).
 *
 * Reading converts to tfjax's dtypes, as jax.numpy does with x64 off: float16/float32/float64
 * become float32 (float64 rounded to nearest), integers become int32 (a value outside int32 is an
 * error), bool stays bool; big-endian data is swapped and Fortran-ordered data transposed to C
 * order. Writing follows `np.save` (NumPy 1.24) byte for byte.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { writeFileAtomic } from './atomic.js';
import { halfToFloat } from './safetensors.js';

/** The dtypes a read array has, named as tfjs names them. */
export type NpyDType = 'float32' | 'int32' | 'bool';

/** An array read from a `.npy` file, in C (row-major) order; `descr` is its dtype in the file (e.g. `'>f8'`). */
export interface NpyArray {
  readonly dtype: NpyDType;
  readonly shape: number[];
  readonly data: Float32Array | Int32Array | Uint8Array;
  readonly descr: string;
}

const MAGIC = '\x93NUMPY';
/** NumPy 1.24's spare header space, so that the first axis can grow in place (`GROWTH_AXIS_MAX_DIGITS`). */
const GROWTH_AXIS_MAX_DIGITS = 21;

/** How to read one element of a dtype: its size, tfjax dtype, and a reader at a byte offset. */
interface ElementType {
  readonly size: number;
  readonly to: NpyDType;
  readonly get: (view: DataView, offset: number, little: boolean) => number | bigint;
}

const ELEMENT_TYPES: Readonly<Record<string, ElementType>> = {
  f2: { size: 2, to: 'float32', get: (v, o, le) => halfToFloat(v.getUint16(o, le)) },
  f4: { size: 4, to: 'float32', get: (v, o, le) => v.getFloat32(o, le) },
  f8: { size: 8, to: 'float32', get: (v, o, le) => v.getFloat64(o, le) },
  i1: { size: 1, to: 'int32', get: (v, o) => v.getInt8(o) },
  i2: { size: 2, to: 'int32', get: (v, o, le) => v.getInt16(o, le) },
  i4: { size: 4, to: 'int32', get: (v, o, le) => v.getInt32(o, le) },
  i8: { size: 8, to: 'int32', get: (v, o, le) => v.getBigInt64(o, le) },
  u1: { size: 1, to: 'int32', get: (v, o) => v.getUint8(o) },
  u2: { size: 2, to: 'int32', get: (v, o, le) => v.getUint16(o, le) },
  u4: { size: 4, to: 'int32', get: (v, o, le) => v.getUint32(o, le) },
  u8: { size: 8, to: 'int32', get: (v, o, le) => v.getBigUint64(o, le) },
  b1: { size: 1, to: 'bool', get: (v, o) => (v.getUint8(o) === 0 ? 0 : 1) },
};

/** The dtypes {@link parseNpy} reads, for error messages. */
const READ_DTYPES = 'float16/32/64, int8/16/32/64, uint8/16/32/64 and bool, either byte order';

/** A parsed `.npy` header. */
interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
  readonly dataStart: number;
}

/** The value of `key` in a header dict literal (NumPy writes `'key': value`; double quotes are accepted too). */
function headerField(header: string, key: string, value: string): string | undefined {
  return new RegExp(`['"]${key}['"]\\s*:\\s*${value}`).exec(header)?.[1];
}

/** Parses the magic, version and header dict of a `.npy` file. */
function parseHeader(buf: Uint8Array, name: string): NpyHeader {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 10 || String.fromCharCode(...buf.subarray(0, 6)) !== MAGIC) throw new Error(`${name}: not a .npy file (no \\x93NUMPY magic)`);
  const [major, minor] = [buf[6]!, buf[7]!];
  if (major < 1 || major > 3 || minor !== 0) throw new Error(`${name}: unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are read)`);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start) throw new Error(`${name}: truncated .npy header`);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + length > buf.length) throw new Error(`${name}: truncated: the header says ${length} bytes, the file has ${buf.length - start} after the length field`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + length)).trim();
  // A structured dtype's descr is a list of fields (`[('a', '<f4'), ...]`), a subarray's a tuple: not a string.
  if (headerField(header, 'descr', '([[(])') !== undefined) throw new Error(`${name}: unsupported structured or subarray dtype (read: ${READ_DTYPES})`);
  const descr = headerField(header, 'descr', `['"]([^'"]*)['"]`);
  const fortran = headerField(header, 'fortran_order', '(True|False)');
  const shapeText = headerField(header, 'shape', '\\(([^)]*)\\)');
  if (!header.startsWith('{') || descr === undefined || fortran === undefined || shapeText === undefined)
    throw new Error(`${name}: corrupt .npy header (needs 'descr', 'fortran_order' and 'shape'): ${header.slice(0, 200)}`);
  const dims = shapeText.split(',').map((s) => s.trim().replace(/L$/, '')).filter(Boolean);
  if (!dims.every((d) => /^\d+$/.test(d))) throw new Error(`${name}: corrupt .npy header: shape (${shapeText}) is not a tuple of non-negative integers`);
  return { descr, fortranOrder: fortran === 'True', shape: dims.map(Number), dataStart: start + length };
}

/** The element type and byte order of a descr such as `'<f4'`, `'>i8'`, `'|b1'`. */
function elementType(descr: string, name: string): { type: ElementType; little: boolean } {
  const m = /^([<>|=])([a-z]\d+)$/.exec(descr);
  const type = m ? ELEMENT_TYPES[m[2]!] : undefined;
  if (!m || !type) throw new Error(`${name}: unsupported dtype ${JSON.stringify(descr)} (read: ${READ_DTYPES})`);
  return { type, little: m[1] !== '>' };
}

/** Maps an element's C-order index to its index in Fortran-ordered data of `shape`. */
function fortranIndex(shape: readonly number[]): (c: number) => number {
  const strides: number[] = [];
  let s = 1;
  for (const d of shape) {
    strides.push(s);
    s *= d;
  }
  return (c) => {
    let f = 0;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      f += (c % shape[axis]!) * strides[axis]!;
      c = Math.floor(c / shape[axis]!);
    }
    return f;
  };
}

/** Converts one element to tfjax's dtype: float32 rounds, int32 must fit. */
function toNumber(v: number | bigint, to: NpyDType, index: number, descr: string, name: string): number {
  if (to !== 'int32') return Number(v);
  const n = Number(v);
  if (n < -(2 ** 31) || n > 2 ** 31 - 1) throw new Error(`${name}: value ${v} (dtype ${descr}) at index ${index} does not fit in int32`);
  return n;
}

/**
 * Reads a `.npy` file held in memory (format 1.0, 2.0 or 3.0): float16/32/64 become float32,
 * integers int32 (a value outside int32 is an error), bool stays bool (a `Uint8Array` of 0/1);
 * big-endian data is swapped and Fortran order transposed, so `data` is always in C order.
 * Every error is one line starting with `name`.
 * @example parseNpy(readFileSync('x.npy'), 'x.npy') // {dtype: 'float32', shape: [2, 3], data: Float32Array(6), descr: '<f8'}
 */
export function parseNpy(bytes: Uint8Array, name = 'the .npy file'): NpyArray {
  const h = parseHeader(bytes, name);
  const { type, little } = elementType(h.descr, name);
  const count = h.shape.reduce((a, b) => a * b, 1);
  // Bytes after the data are ignored, as `np.load` does (e.g. a second array `np.save`d to the same file).
  const have = bytes.length - h.dataStart;
  if (have < count * type.size)
    throw new Error(`${name}: ${have} data bytes for shape ${pyTuple(h.shape)} of ${type.size}-byte values (${count * type.size} expected)`);
  const body = bytes.subarray(h.dataStart, h.dataStart + count * type.size);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const data = type.to === 'float32' ? new Float32Array(count) : type.to === 'int32' ? new Int32Array(count) : new Uint8Array(count);
  const at = h.fortranOrder && h.shape.length > 1 ? fortranIndex(h.shape) : (c: number) => c;
  for (let c = 0; c < count; c++) {
    const f = at(c);
    data[c] = toNumber(type.get(view, f * type.size, little), type.to, f, h.descr, name);
  }
  return { dtype: type.to, shape: h.shape, data, descr: h.descr };
}

/** `repr` of a Python tuple of ints: `()`, `(3,)`, `(2, 3)`. */
const pyTuple = (shape: readonly number[]) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);

/**
 * The bytes of a `.npy` file holding `data` (float32 `'<f4'` or int32 `'<i4'`, C order) with
 * `shape`, exactly as NumPy 1.24's `np.save` writes them.
 * @example encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3])
 */
export function encodeNpy(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`writeNpy: shape must be non-negative integers, got [${shape.join(', ')}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`writeNpy: shape [${shape.join(', ')}] has ${count} elements, but the data has ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pyTuple(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  // Magic (6) + version (2) + length (2 or 4); NumPy adds 1 to 64 spaces, then '\n', to reach a multiple of 64.
  const padded = (prefix: number) => `${dict}${' '.repeat(64 - ((prefix + dict.length + 1) % 64))}\n`;
  const version = padded(10).length <= 0xffff ? 1 : 2;
  const prefix = version === 1 ? 10 : 12;
  const header = padded(prefix);
  const out = new Uint8Array(prefix + header.length + data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 6; i++) out[i] = MAGIC.charCodeAt(i);
  out[6] = version;
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  const body = prefix + header.length;
  for (let i = 0; i < count; i++) {
    if (data instanceof Float32Array) view.setFloat32(body + 4 * i, data[i]!, true);
    else view.setInt32(body + 4 * i, data[i]!, true);
  }
  return out;
}

/** Writes `data` with `shape` as a `.npy` file readable by `numpy.load` (as `np.save` writes it), atomically. */
export async function writeNpy(path: string, data: Float32Array | Int32Array, shape: readonly number[]): Promise<void> {
  const bytes = encodeNpy(data, shape);
  await writeFileAtomic(path, (fh) => fh.writeFile(bytes));
}

// ---------------------------------------------------------------------------------------------
// .npz: a zip archive of .npy files

const ZIP_END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_LOCAL = 0x04034b50;

/** Where the central directory lies and how many entries it has (ZIP64 included). */
function centralDirectory(view: DataView, name: string): { offset: number; count: number } {
  let end = -1;
  for (let i = view.byteLength - 22; i >= Math.max(0, view.byteLength - 22 - 0xffff); i--)
    if (view.getUint32(i, true) === ZIP_END) {
      end = i;
      break;
    }
  if (end < 0) throw new Error(`${name}: not a .npz file (no zip end-of-central-directory record)`);
  let count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  if ((count === 0xffff || offset === 0xffffffff) && end >= 20 && view.getUint32(end - 20, true) === ZIP64_LOCATOR) {
    const z = Number(view.getBigUint64(end - 12, true));
    if (z + 56 > view.byteLength || view.getUint32(z, true) !== ZIP64_END) throw new Error(`${name}: corrupt zip64 end record`);
    count = Number(view.getBigUint64(z + 32, true));
    offset = Number(view.getBigUint64(z + 48, true));
  }
  return { offset, count };
}

/** One central-directory entry: its name, method, sizes, CRC and local header offset (ZIP64 extra fields applied). */
interface ZipEntry {
  readonly file: string;
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
  readonly local: number;
}

function zipEntry(view: DataView, at: number, name: string): { entry: ZipEntry; next: number } {
  if (at + 46 > view.byteLength || view.getUint32(at, true) !== ZIP_CENTRAL) throw new Error(`${name}: corrupt .npz (bad central directory entry at byte ${at})`);
  const nameLen = view.getUint16(at + 28, true);
  const extraLen = view.getUint16(at + 30, true);
  const file = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + at + 46, nameLen));
  // ZIP64: the fields that read 0xFFFFFFFF are in the extra field 0x0001, in this order.
  const fields = [view.getUint32(at + 24, true), view.getUint32(at + 20, true), view.getUint32(at + 42, true)];
  for (let e = at + 46 + nameLen; e + 4 <= at + 46 + nameLen + extraLen; e += 4 + view.getUint16(e + 2, true)) {
    if (view.getUint16(e, true) !== 1) continue;
    let p = e + 4;
    for (let k = 0; k < 3; k++)
      if (fields[k] === 0xffffffff) {
        fields[k] = Number(view.getBigUint64(p, true));
        p += 8;
      }
  }
  const entry = { file, method: view.getUint16(at + 10, true), flags: view.getUint16(at + 8, true), crc: view.getUint32(at + 16, true), size: fields[0]!, compressed: fields[1]!, local: fields[2]! };
  return { entry, next: at + 46 + nameLen + extraLen + view.getUint16(at + 32, true) };
}

/** The uncompressed bytes of one entry (stored or deflated), with its CRC checked. */
function entryBytes(bytes: Uint8Array, view: DataView, e: ZipEntry, name: string): Uint8Array {
  const where = `${name}: entry ${JSON.stringify(e.file)}`;
  if (e.flags & 1) throw new Error(`${where} is encrypted`);
  if (e.local + 30 > bytes.length || view.getUint32(e.local, true) !== ZIP_LOCAL) throw new Error(`${where}: corrupt (no local header at byte ${e.local})`);
  const start = e.local + 30 + view.getUint16(e.local + 26, true) + view.getUint16(e.local + 28, true);
  if (start + e.compressed > bytes.length) throw new Error(`${where}: truncated (needs ${e.compressed} bytes at byte ${start}, the file has ${bytes.length})`);
  const raw = bytes.subarray(start, start + e.compressed);
  let out: Uint8Array;
  if (e.method === 0) out = raw;
  else if (e.method === 8) {
    try {
      out = inflateRawSync(raw);
    } catch (err) {
      throw new Error(`${where}: corrupt deflate data (${(err as Error).message})`);
    }
  } else throw new Error(`${where}: unsupported zip compression method ${e.method} (stored and deflate are read)`);
  if (out.length !== e.size) throw new Error(`${where}: ${out.length} bytes, the zip directory says ${e.size}`);
  if (crc32(out) >>> 0 !== e.crc) throw new Error(`${where}: CRC mismatch (corrupt file)`);
  return out;
}

/**
 * Reads a `.npz` archive held in memory (`np.savez` or `np.savez_compressed`): each array by its
 * name without `.npy`, as `np.load(...)[name]` (see {@link parseNpy} for the dtypes).
 * @example parseNpz(readFileSync('w.npz'), 'w.npz').w.shape // [2, 3]
 */
export function parseNpz(bytes: Uint8Array, name = 'the .npz file'): Record<string, NpyArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dir = centralDirectory(view, name);
  const out: Record<string, NpyArray> = {};
  for (let i = 0, at = dir.offset; i < dir.count; i++) {
    const { entry, next } = zipEntry(view, at, name);
    at = next;
    const key = entry.file.replace(/\.npy$/, '');
    if (Object.hasOwn(out, key)) throw new Error(`${name}: the array ${JSON.stringify(key)} appears twice`);
    Object.defineProperty(out, key, { value: parseNpy(entryBytes(bytes, view, entry, name), `${name}: entry ${JSON.stringify(entry.file)}`), enumerable: true });
  }
  return out;
}
