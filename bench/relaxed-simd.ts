/**
 * Does relaxed SIMD's fused multiply-add (f32x4.relaxed_madd) speed up our SIMD exp and log
 * (lib/backend/wasm-math.ts)? Each polynomial built both ways over 2^20 values in one module
 * each, 40 interleaved rounds of 5 passes, CPU time. Needs the engine's relaxed SIMD:
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/relaxed-simd.ts
 */
import { FunctionBuilder, moduleBytes } from '../lib/backend/wasm-emit.js';
import { SimdMath, relaxedSimdAvailable } from '../lib/backend/wasm-math.js';
if (!relaxedSimdAvailable()) {
  console.error('relaxed SIMD is off: run with node --experimental-wasm-relaxed-simd --import tsx bench/relaxed-simd.ts');
  process.exit(2);
}
const N = 1 << 20;

/** One pass of exp or log over N floats at `input`, written to `output`. */
function build(relaxed: boolean, op: 'exp' | 'log') {
  const f = new FunctionBuilder(['i32', 'i32'], []);
  const off = f.local('i32');
  const x = f.local('v128');
  const m = new SimdMath(f, relaxed);
  f.loop();
  f.localGet(0).localGet(off).i32Add().v128Load(0).localSet(x);
  f.localGet(1).localGet(off).i32Add();
  m[op](x);
  f.v128Store(0);
  f.localGet(off).i32Const(16).i32Add().localTee(off).i32Const(N * 4).i32Ne().brIf(0);
  f.end();
  return f;
}
const memory = new WebAssembly.Memory({ initial: 256 });
const inp = new Float32Array(memory.buffer, 0, N);
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const op of ['exp', 'log'] as const) {
  for (let i = 0; i < N; i++) inp[i] = op === 'exp' ? (Math.random() - 0.5) * 40 : Math.random() * 100;
  const runs = [false, true].map((r) => {
    const mod = new WebAssembly.Module(moduleBytes([{ name: 'run', fn: build(r, op) }]));
    return new WebAssembly.Instance(mod, { env: { memory } }).exports.run as (input: number, output: number) => void;
  });
  const times: number[][] = [[], []];
  for (let rep = 0; rep < 40; rep++) {
    for (let k = 0; k < 2; k++) {
      const c0 = process.cpuUsage();
      for (let j = 0; j < 5; j++) runs[k]!(0, N * 4);
      const c = process.cpuUsage(c0);
      times[k]!.push((c.user + c.system) / 1000 / 5);
    }
  }
  const [plain, fused] = times.map((t) => med(t));
  console.log(`${op}: ${N} values, CPU ms (median of 40): plain ${plain!.toFixed(2)} (${((plain! * 1e6) / N).toFixed(2)} ns/value), relaxed_madd ${fused!.toFixed(2)}: ${(plain! / fused!).toFixed(2)}x`);
}
