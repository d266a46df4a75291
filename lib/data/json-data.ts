/**
 * A parser for the one JSON shape the embedded datasets use: `{"data": [n, n, ...]}` or
 * `{"data": [[n, ...], [n, ...], ...]}`. Numbers are turned into bytes as they are read, so
 * no nested JS arrays are built (`JSON.parse` of a 16 MB class file allocates ~60 MB of
 * arrays and needs the text decoded to a string first).
 *
 * It accepts exactly the JSON texts of that shape (any JSON whitespace, standard number
 * syntax) and rejects everything else with the byte offset of the problem.
 */

import { DataError } from './errors.js';

/** The parsed `data` array. */
export interface DataArrays {
  /** Every number, converted by `toByte`, in document order. */
  readonly bytes: Uint8Array;
  /** For an array of arrays, each inner array's length; `undefined` for a flat array of numbers. */
  readonly rowLengths: number[] | undefined;
}

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d;
const COMMA = 0x2c, COLON = 0x3a, OPEN = 0x5b, CLOSE = 0x5d, LBRACE = 0x7b, RBRACE = 0x7d;
const MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, ZERO = 0x30, LOWER_E = 0x65, UPPER_E = 0x45;
const DATA_KEY = Buffer.from('"data"', 'latin1');
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/** `c - '0'` when `c` is an ASCII digit, else a value > 9 (also for `undefined`, past the end). */
function digit(c: number | undefined): number {
  return c === undefined ? 10 : (c - ZERO) >>> 0;
}

/** Cursor state; methods are the grammar's productions. */
class Scanner {
  pos = 0;
  count = 0;
  readonly out: Uint8Array;

  constructor(
    readonly text: Buffer,
    readonly label: string,
    readonly toByte: (v: number) => number,
    readonly expected: string,
  ) {
    // Each number takes at least one digit and one separator, so this bounds the count.
    this.out = new Uint8Array((text.length >> 1) + 1);
  }

  fail(what: string, at = this.pos): never {
    const near = this.text.toString('latin1', Math.max(0, at - 20), Math.min(this.text.length, at + 20)).replace(/\s+/g, ' ');
    throw new DataError(this.label, `${this.label}: ${what} at byte ${at} (near ${JSON.stringify(near)})`);
  }

  ws(): void {
    const t = this.text;
    let p = this.pos;
    for (let c = t[p]; c === SPACE || c === LF || c === CR || c === TAB; c = t[++p]);
    this.pos = p;
  }

  expect(ch: number, what: string): void {
    this.ws();
    if (this.text[this.pos] !== ch) this.fail(`expected ${what}`);
    this.pos++;
  }

  /** One JSON number, converted and stored. */
  number(): void {
    const t = this.text;
    const start = this.pos;
    let p = start;
    const negative = t[p] === MINUS;
    if (negative) p++;
    let d = digit(t[p]);
    if (d > 9) this.fail('expected a number', p);
    let int = d;
    p++;
    if (d !== 0) {
      for (d = digit(t[p]); d <= 9; d = digit(t[++p])) int = int * 10 + d;
    }
    let value = int;
    let exact = !negative && p - start <= 15;
    if (t[p] === DOT) {
      const fracStart = ++p;
      let frac = 0;
      for (d = digit(t[p]); d <= 9; d = digit(t[++p])) frac = frac * 10 + d;
      const k = p - fracStart;
      if (k === 0) this.fail('expected a digit after "."', p);
      // With a zero integer part and < 16 digits, frac / 10^k is a single correctly rounded
      // division of exact doubles, i.e. exactly what Number(text) gives.
      if (int === 0 && k < 16) value = frac / POW10[k]!;
      else exact = false;
    }
    let c = t[p];
    if (c === LOWER_E || c === UPPER_E) {
      exact = false;
      c = t[++p];
      if (c === PLUS || c === MINUS) p++;
      if (digit(t[p]) > 9) this.fail('expected a digit in the exponent', p);
      while (digit(t[p]) <= 9) p++;
    }
    this.pos = p;
    if (!exact) value = Number(t.toString('latin1', start, p));
    const b = this.toByte(value);
    if (!(Number.isInteger(b) && b >= 0 && b <= 255)) {
      this.fail(`value ${t.toString('latin1', start, p)} (number ${this.count} in the file) is not ${this.expected}`, start);
    }
    this.out[this.count++] = b;
  }

  /** `[n, n, ...]` after its opening bracket; returns the item count. */
  numbers(): number {
    const t = this.text;
    const out = this.out;
    const toByte = this.toByte;
    const first = this.count;
    this.ws();
    if (t[this.pos] === CLOSE) {
      this.pos++;
      return 0;
    }
    let p = this.pos;
    for (;;) {
      let c = t[p];
      while (c === SPACE || c === LF || c === CR || c === TAB) c = t[++p];
      // Fast path: a plain non-negative integer (all of Fashion-MNIST, most of MNIST).
      let d = digit(c);
      let value = d;
      const start = p;
      if (d <= 9) {
        c = t[++p];
        if (d !== 0) {
          for (d = digit(c); d <= 9 && p - start < 15; d = digit((c = t[++p]))) value = value * 10 + d;
        }
      }
      if (p > start && c !== DOT && c !== LOWER_E && c !== UPPER_E && digit(c) > 9) {
        const b = toByte(value);
        if (!(Number.isInteger(b) && b >= 0 && b <= 255)) {
          this.fail(`value ${t.toString('latin1', start, p)} (number ${this.count} in the file) is not ${this.expected}`, start);
        }
        out[this.count++] = b;
      } else {
        this.pos = start;
        this.number();
        p = this.pos;
        c = t[p];
      }
      while (c === SPACE || c === LF || c === CR || c === TAB) c = t[++p];
      p++;
      if (c === CLOSE) {
        this.pos = p;
        return this.count - first;
      }
      if (c !== COMMA) this.fail('expected "," or "]" in an array of numbers', p - 1);
    }
  }

  /** The whole document. */
  document(): DataArrays {
    const t = this.text;
    this.expect(LBRACE, '"{"');
    this.ws();
    if (!t.subarray(this.pos, this.pos + DATA_KEY.length).equals(DATA_KEY)) this.fail('expected the key "data" (the only key this format has)');
    this.pos += DATA_KEY.length;
    this.expect(COLON, '":"');
    this.expect(OPEN, '"[" starting the data array');
    this.ws();
    let rowLengths: number[] | undefined;
    if (t[this.pos] === OPEN) {
      rowLengths = [];
      for (;;) {
        this.ws();
        if (t[this.pos] !== OPEN) this.fail('expected "[" (data is an array of arrays)');
        this.pos++;
        rowLengths.push(this.numbers());
        this.ws();
        const c = t[this.pos++];
        if (c === CLOSE) break;
        if (c !== COMMA) this.fail('expected "," or "]" in the data array', this.pos - 1);
      }
    } else {
      this.numbers();
    }
    this.expect(RBRACE, '"}" (the only key this format has is "data")');
    this.ws();
    if (this.pos !== t.length) this.fail('unexpected text after the JSON object');
    return { bytes: this.out.slice(0, this.count), rowLengths };
  }
}

/**
 * Parses `text` (a file's bytes) as `{"data": ...}`. `toByte` maps each number to a byte;
 * when it returns anything but an integer 0..255 the number is rejected as not being
 * `expected` (e.g. `'an integer 0..255'`). `label` names the file in errors.
 */
export function parseDataArrays(text: Buffer, label: string, toByte: (v: number) => number, expected: string): DataArrays {
  return new Scanner(text, label, toByte, expected).document();
}
