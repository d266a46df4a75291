/**
 * The safetensors format (https://github.com/huggingface/safetensors), on plain typed arrays.
 *
 * A file is: an unsigned 64-bit little-endian header length `N`; `N` bytes of UTF-8 JSON
 * `{"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}`
 * padded with spaces to a multiple of 8 bytes; then the data section, where each tensor's bytes
 * (row-major, little-endian) lie at `[begin, end)` counted from the start of the data section.
 * The tensors tile the data section exactly: no gaps, no overlaps, no trailing bytes.
 *
 * Written files follow the Hugging Face implementation byte for byte: compact JSON, `__metadata__`
 * first, tensors laid out by decreasing dtype (F32, then I32, then BOOL) and then by name, and the
 * header padded with spaces.
 *
 * This module knows nothing of tfjs: tensors are `{dtype, shape, data}` with a `Float32Array`
 * (float32), `Int32Array` (int32) or `Uint8Array` of 0/1 (bool).
 */

// Bytes in, bytes out: nothing here touches files (./safetensors-file.ts does, in Node).
import { firstDuplicateKey } from './json-duplicate-keys.js';

/** The dtypes a decoded tensor has, named as tfjs names them. */
export type TensorDType = 'float32' | 'int32' | 'bool';

/** The typed array holding a tensor of each dtype. */
export type TensorDataArray = Float32Array | Int32Array | Uint8Array;

/** One tensor: a dtype, a shape, and its row-major data (`bool` as a `Uint8Array` of 0/1). */
export interface TensorData {
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  readonly data: TensorDataArray;
}

/** A decoded tensor; `fileDtype` is the dtype it had in the file (e.g. `'F16'` read as float32). */
export interface DecodedTensor extends TensorData {
  readonly fileDtype: FileDType;
}

/** A tensor whose data is produced on demand while the file is written (e.g. `() => t.data()`). */
export interface LazyTensorData {
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  readonly data: TensorDataArray | (() => Promise<ArrayLike<number>> | ArrayLike<number>);
}

/** Dtype names that may appear in a file this module reads. */
export type FileDType = 'F32' | 'I32' | 'BOOL' | 'F16' | 'BF16' | 'F64' | 'I64' | 'U8' | 'I8' | 'I16' | 'U16';

interface FileDTypeInfo {
  readonly size: number;
  readonly to: TensorDType;
}

const FILE_DTYPES: Readonly<Record<FileDType, FileDTypeInfo>> = {
  F32: { size: 4, to: 'float32' },
  I32: { size: 4, to: 'int32' },
  BOOL: { size: 1, to: 'bool' },
  F16: { size: 2, to: 'float32' },
  BF16: { size: 2, to: 'float32' },
  F64: { size: 8, to: 'float32' },
  I64: { size: 8, to: 'int32' },
  U8: { size: 1, to: 'int32' },
  I8: { size: 1, to: 'int32' },
  I16: { size: 2, to: 'int32' },
  U16: { size: 2, to: 'int32' },
};

const WRITE_DTYPES: Readonly<Record<TensorDType, { readonly name: FileDType; readonly size: number; readonly rank: number }>> = {
  // `rank` follows the order of the Hugging Face Dtype enum (BOOL < I32 < F32): larger first.
  float32: { name: 'F32', size: 4, rank: 2 },
  int32: { name: 'I32', size: 4, rank: 1 },
  bool: { name: 'BOOL', size: 1, rank: 0 },
};

/** The largest header the Hugging Face implementation accepts (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An error about one safetensors file; `reason` is the message without the file prefix. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  constructor(
    readonly source: string,
    readonly reason: string,
    readonly tensor?: string,
  ) {
    super(`safetensors ${source}: ${reason}`);
  }
}

function fail(source: string, reason: string, tensor?: string): never {
  throw new SafetensorsError(source, tensor === undefined ? reason : `tensor ${JSON.stringify(tensor)}: ${reason}`, tensor);
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isShape(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((d) => Number.isSafeInteger(d) && d >= 0);
}

// ---------------------------------------------------------------------------------------------
// The header

/** One entry of a validated header. */
export interface HeaderEntry {
  readonly dtype: FileDType;
  readonly shape: readonly number[];
  /** `[begin, end)` in bytes, relative to the start of the data section. */
  readonly dataOffsets: readonly [number, number];
}

/** A validated header: entries in data order, metadata, and where the data section lies. */
export interface SafetensorsHeader {
  readonly entries: Readonly<Record<string, HeaderEntry>>;
  /** Entry names in the order their bytes appear in the data section. */
  readonly order: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Byte offset of the data section in the file (8 + header length). */
  readonly dataStart: number;
  /** Length of the data section in bytes. */
  readonly dataBytes: number;
}

/** Reads and checks the 8-byte header length against the file size; returns the header length. */
export function headerLength(prefix: Uint8Array, fileBytes: number, source: string): number {
  if (fileBytes < 8) fail(source, `truncated: file is ${fileBytes} bytes, shorter than the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES))
    fail(source, `corrupt: header length field says ${n} bytes, more than the ${MAX_HEADER_BYTES} allowed (is this a safetensors file?)`);
  const len = Number(n);
  if (len > fileBytes - 8) fail(source, `truncated: header says ${len} bytes of header, file has ${fileBytes - 8} after the length field`);
  return len;
}

/** Parses and validates header bytes, given the length of the data section that follows them. */
export function parseHeader(headerBytes: Uint8Array, dataBytes: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail(source, 'corrupt header: not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(source, `corrupt header: does not start with '{' (is this a safetensors file?)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(source, `corrupt header: not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail(source, 'corrupt header: the JSON is not an object');
  const dup = firstDuplicateKey(text);
  if (dup !== undefined) {
    if (dup.under === undefined) fail(source, `corrupt header: the name ${JSON.stringify(dup.key)} appears twice`);
    fail(source, `corrupt header: key ${JSON.stringify(dup.key)} appears twice in ${JSON.stringify(dup.under)}`);
  }

  let metadata: Record<string, string> = {};
  const entries: [string, HeaderEntry][] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') {
      // The Hugging Face reader reads `"__metadata__": null` as no metadata (an `Option`).
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw)) fail(source, '__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(raw as object))
        if (typeof v !== 'string') fail(source, `__metadata__ value for ${JSON.stringify(k)} is not a string: ${JSON.stringify(v)}`);
      metadata = Object.fromEntries(Object.entries(raw as Record<string, string>));
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(source, `entry is not an object: ${JSON.stringify(raw)}`, name);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(FILE_DTYPES, dtype))
      fail(source, `unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(FILE_DTYPES).join(', ')})`, name);
    if (!isShape(shape)) fail(source, `shape must be an array of non-negative integers, found ${JSON.stringify(shape)}`, name);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0))
      fail(source, `data_offsets must be [begin, end] with non-negative integers, found ${JSON.stringify(offsets)}`, name);
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(source, `data_offsets [${begin}, ${end}] end before they begin`, name);
    const fd = dtype as FileDType;
    const need = numElements(shape as number[]) * FILE_DTYPES[fd].size;
    if (end - begin !== need)
      fail(source, `shape ${shapeText(shape as number[])} of ${fd} needs ${need} bytes, but data_offsets [${begin}, ${end}] give ${end - begin}`, name);
    entries.push([name, { dtype: fd, shape: shape as number[], dataOffsets: [begin, end] }]);
  }

  // Layout: sorted by offsets, the entries must tile [0, dataBytes) exactly.
  entries.sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  const last = entries.reduce<[string, HeaderEntry] | undefined>((m, e) => (m === undefined || e[1].dataOffsets[1] > m[1].dataOffsets[1] ? e : m), undefined);
  if (last && last[1].dataOffsets[1] > dataBytes)
    fail(source, `truncated: header says ${last[1].dataOffsets[1]} bytes of data, file has ${dataBytes} (tensor ${JSON.stringify(last[0])} ends at byte ${last[1].dataOffsets[1]})`);
  let prevEnd = 0;
  let prevName: string | undefined;
  for (const [name, e] of entries) {
    const [begin, end] = e.dataOffsets;
    if (begin < prevEnd)
      fail(source, `data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(prevName)}, which ends at byte ${prevEnd}`, name);
    if (begin > prevEnd)
      fail(source, `gap in the data section: bytes [${prevEnd}, ${begin}) belong to no tensor (next tensor: ${JSON.stringify(name)})`);
    prevEnd = end;
    prevName = name;
  }
  if (prevEnd !== dataBytes)
    fail(source, `corrupt: the data section has ${dataBytes} bytes but the tensors cover only ${prevEnd} (trailing bytes)`);

  return {
    entries: Object.fromEntries(entries),
    order: entries.map(([n]) => n),
    metadata,
    dataStart: 8 + headerBytes.length,
    dataBytes,
  };
}

/**
 * Validates the header of a safetensors file held in memory, without converting any data.
 * @example decodeSafetensorsHeader(bytes).entries['w'] // {dtype: 'F32', shape: [2, 3], dataOffsets: [0, 24]}
 */
export function decodeSafetensorsHeader(bytes: Uint8Array, source = '<bytes>'): SafetensorsHeader {
  const n = headerLength(bytes, bytes.length, source);
  return parseHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, source);
}

// ---------------------------------------------------------------------------------------------
// Decoding data

/** The value of IEEE half-precision bits `h` (exact in float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function convert(bytes: Uint8Array, name: string, e: HeaderEntry, source: string): TensorDataArray {
  const n = numElements(e.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const copy = () => {
    const buf = new ArrayBuffer(bytes.length);
    new Uint8Array(buf).set(bytes);
    return buf;
  };
  switch (e.dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN_HOST) return new Float32Array(copy());
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'I32': {
      if (LITTLE_ENDIAN_HOST) return new Int32Array(copy());
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(copy());
      for (let i = 0; i < n; i++)
        if (out[i] > 1) fail(source, `BOOL value ${out[i]} at index ${i} is neither 0 nor 1`, name);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = view.getInt32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        if (hi !== lo >> 31) fail(source, `I64 value ${view.getBigInt64(8 * i, true)} at index ${i} does not fit in int32`, name);
        out[i] = lo;
      }
      return out;
    }
    case 'U8':
      return Int32Array.from(bytes);
    case 'I8':
      return Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, n));
    case 'I16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      return out;
    }
    case 'U16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
      return out;
    }
  }
}

/**
 * Decodes a whole safetensors file held in memory, validating the header and the layout. Data is
 * copied out of `bytes`; F16, BF16 and F64 become float32, and I64, U8, I8, I16 and U16 become
 * int32 (an I64 value outside int32 is an error). `source` names the file in error messages.
 * @example
 * const {tensors, metadata} = decodeSafetensors(await readFile('w.safetensors'), 'w.safetensors');
 * tensors['fc.weight'] // {dtype: 'float32', shape: [10, 512], data: Float32Array(5120), fileDtype: 'F32'}
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = '<bytes>',
): { tensors: Record<string, DecodedTensor>; metadata: Record<string, string> } {
  const h = decodeSafetensorsHeader(bytes, source);
  const tensors = Object.fromEntries(
    h.order.map((name): [string, DecodedTensor] => {
      const e = h.entries[name];
      const [begin, end] = e.dataOffsets;
      const data = convert(bytes.subarray(h.dataStart + begin, h.dataStart + end), name, e, source);
      return [name, { dtype: FILE_DTYPES[e.dtype].to, shape: [...e.shape], data, fileDtype: e.dtype }];
    }),
  );
  return { tensors, metadata: { ...h.metadata } };
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A file's header bytes and where each tensor's data goes (what {@link layout} plans). */
export interface Layout {
  readonly header: Uint8Array;
  readonly entries: readonly { readonly name: string; readonly spec: LazyTensorData; readonly begin: number; readonly end: number }[];
  readonly dataBytes: number;
}

const utf8 = new TextEncoder();

/** Orders strings by their UTF-8 bytes, as Rust's `str` ordering (and the Hugging Face writer) does. */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Plans a file: checks names, dtypes and shapes, orders the tensors, and encodes the header. */
export function layout(tensors: Readonly<Record<string, LazyTensorData>>, metadata: Readonly<Record<string, string>> | undefined, source: string): Layout {
  const named = Object.entries(tensors).map(([name, spec]) => {
    if (name === '__metadata__') fail(source, 'the name "__metadata__" is reserved for the metadata');
    const w = Object.hasOwn(WRITE_DTYPES, spec.dtype) ? WRITE_DTYPES[spec.dtype] : undefined;
    if (w === undefined) return fail(source, `cannot write dtype ${JSON.stringify(spec.dtype)} (float32, int32 and bool can be written)`, name);
    if (!isShape(spec.shape)) fail(source, `shape must be an array of non-negative integers, found ${JSON.stringify(spec.shape)}`, name);
    return { name, spec, w };
  });
  // The Hugging Face order: larger dtypes first (keeps every tensor aligned), then by name.
  named.sort((a, b) => b.w.rank - a.w.rank || compareUtf8(a.name, b.name));
  let offset = 0;
  const entries = named.map(({ name, spec, w }) => {
    const begin = offset;
    offset += numElements(spec.shape) * w.size;
    return { name, spec, begin, end: offset };
  });
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const meta: [string, string][] = Object.entries(metadata).sort(([a], [b]) => compareUtf8(a, b));
    for (const [k, v] of meta) if (typeof v !== 'string') fail(source, `metadata value for ${JSON.stringify(k)} is not a string`);
    parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  for (const e of entries)
    parts.push(`${JSON.stringify(e.name)}:{"dtype":${JSON.stringify(WRITE_DTYPES[e.spec.dtype].name)},"shape":[${e.spec.shape.join(',')}],"data_offsets":[${e.begin},${e.end}]}`);
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, entries, dataBytes: offset };
}

/** The little-endian bytes of one tensor's data, after checking its length (and, for bool, normalising to 0/1). */
export function tensorBytes(dtype: TensorDType, shape: readonly number[], data: ArrayLike<number>, name: string, source: string): Uint8Array {
  const n = numElements(shape);
  if (data.length !== n) fail(source, `shape ${shapeText(shape)} has ${n} elements, but the data has ${data.length}`, name);
  if (dtype === 'bool') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = data[i] ? 1 : 0;
    return out;
  }
  const arr = dtype === 'float32' ? (data instanceof Float32Array ? data : Float32Array.from(data)) : data instanceof Int32Array ? data : Int32Array.from(data);
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  const out = new Uint8Array(arr.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    if (dtype === 'float32') view.setFloat32(4 * i, arr[i], true);
    else view.setInt32(4 * i, arr[i], true);
  }
  return out;
}

/**
 * Encodes tensors (and optional string metadata) as a safetensors file in memory.
 * @example
 * const bytes = encodeSafetensors({w: {dtype: 'float32', shape: [2], data: new Float32Array([1, 2])}}, {step: '10'});
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, TensorData>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const source = '<encode>';
  const l = layout(tensors, metadata, source);
  const out = new Uint8Array(l.header.length + l.dataBytes);
  out.set(l.header, 0);
  for (const e of l.entries) {
    const data = e.spec.data;
    if (typeof data === 'function') return fail(source, 'encodeSafetensors needs data arrays; use writeSafetensorsFile for lazy data', e.name);
    out.set(tensorBytes(e.spec.dtype, e.spec.shape, data, e.name, source), l.header.length + e.begin);
  }
  return out;
}
