/** A minimal NumPy `.npy` writer (format 1.0, little-endian float32 or int32, C order). */
import { writeFileAtomic } from '../io/atomic.js';

/** Writes `data` with `shape` as a `.npy` file readable by `numpy.load`, atomically. */
export async function writeNpy(path: string, data: Float32Array | Int32Array, shape: readonly number[]): Promise<void> {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  await writeFileAtomic(path, (fh) => fh.writeFile(Buffer.concat([head, Buffer.from(header, 'latin1'), body])));
}

/** Reads a `.npy` file written by {@link writeNpy} (little-endian float32 or int32, C order). */
export function parseNpy(bytes: Uint8Array, name = 'the .npy file'): { data: Float32Array | Int32Array; shape: number[] } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || buf.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error(`${name}: not a .npy file (no \\x93NUMPY magic)`);
  const headerLength = buf[6] === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = buf[6] === 1 ? 10 : 12;
  const header = buf.subarray(start, start + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${name}: Fortran order is not supported`);
  if ((descr !== '<f4' && descr !== '<i4') || shapeText === undefined) throw new Error(`${name}: expected a little-endian float32 or int32 array, got header ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start + headerLength);
  if (body.length !== count * 4) throw new Error(`${name}: ${body.length} data bytes for shape (${shape.join(', ')}) of 4-byte values`);
  const aligned = new Uint8Array(body).buffer; // a copy: the data may not be 4-byte aligned in the file buffer
  return { data: descr === '<f4' ? new Float32Array(aligned) : new Int32Array(aligned), shape };
}
