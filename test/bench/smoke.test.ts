/**
 * The benchmark suite cannot rot: `bench/index.ts --quick` (one round, tiny shapes) runs in a
 * child process and must print every section, with jax-js and the hand-written tfjs step
 * exercised (and PyTorch when a Python with torch is installed). The bench picks its own
 * backends (tfjs wasm, tfjs cpu, jax-js wasm), so it runs once, on the runner's wasm pass.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { testBackendName } from '../helpers/backend.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const backend = testBackendName();
const test = suite(`bench: --quick smoke [${backend}]`);

function bench(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/index.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 << 20 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

if (backend !== 'wasm') {
  test('runs on the wasm pass only (the bench chooses its own backends)', () => {
    assert.ok(true);
  });
} else {
  test('--quick prints every section, each with its tables', () => {
    const t0 = Date.now();
    const r = bench('--quick', '--only', 'mlp,swav,scaling,jit,augment,sinkhorn,limit');
    const tail = `\n--- stderr tail ---\n${r.stderr.split('\n').slice(-20).join('\n')}`;
    assert.is(r.error, undefined, `bench did not finish: ${String(r.error)}${tail}`);
    assert.is(r.code, 0, `exit code ${r.code}${tail}`);
    const sections = ['## 1. MLP step', '## 2. SwAV step', "## 3. The machine's limit", '## 4. Scaling', '## 5. jit', '## 6. Augmentation', '## 7. Sinkhorn alone'];
    let last = -1;
    for (const s of sections) {
      const at = r.stdout.indexOf(s);
      assert.ok(at > last, `section '${s}' missing or out of order`);
      last = at;
    }
    // Contenders that must have run.
    for (const name of ['tfjs tape (tf.variableGrads)', 'tfjax jit(valueAndGrad) + optim.sgd', 'jax-js jit(valueAndGrad + update)', 'jax-js jit(valueAndGrad) port', 'tfjs tape (hand-written step)', 'jit(swav.trainStep, { fuse: false })'])
      assert.ok(r.stdout.includes(`| ${name} |`), `no table row for '${name}'`);
    // Sinkhorn: ours stays finite at epsilon 1e-3 (PyTorch's exp domain, when measured, does not).
    for (const name of ['tfjax jit(swav.sinkhorn)', 'tfjax jit, log domain only'])
      assert.ok(r.stdout.includes(`| ${name}, epsilon 0.001 | tfjs wasm; 100% finite |`), `${name}: Sinkhorn not finite at epsilon 1e-3`);
    // The hand-written tfjs step's failure on wasm is reported, and nothing else failed.
    assert.ok(r.stdout.includes("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"), 'the tfjs wasm failure is not reported');
    assert.not.ok(/failed \(exit/.test(r.stdout), 'a child process failed');
    assert.not.ok(/\| NaN|n\/a \| n\/a \| n\/a/.test(r.stdout), 'a timing is missing');
    // PyTorch: measured when installed, otherwise the reason is printed.
    assert.ok(r.stdout.includes('| PyTorch (same step) |') || r.stdout.includes('PyTorch not measured here'), 'PyTorch neither measured nor explained');
    process.stderr.write(`bench --quick took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  test("--quick of issue 19's sections: ResNet-18 and ViT-tiny steps, the per-core limit; the RNN loop", () => {
    const r = bench('--quick', '--only', 'resnet18,vit,simd,rnn', '--no-jax');
    const tail = `\n--- stderr tail ---\n${r.stderr.split('\n').slice(-20).join('\n')}`;
    assert.is(r.error, undefined, `bench did not finish: ${String(r.error)}${tail}`);
    assert.is(r.code, 0, `exit code ${r.code}${tail}`);
    let last = -1;
    for (const s of ['## 8. ResNet-18 SwAV step', '## 9. ViT-tiny SwAV step', "## 10. WebAssembly's per-core limit", '## 11. A loop: an RNN']) {
      const at = r.stdout.indexOf(s);
      assert.ok(at > last, `section '${s}' missing or out of order`);
      last = at;
    }
    for (const name of ['tfjax jit(valueAndGrad), transposes inside the body', 'tfjax jit(valueAndGrad), transposes before the loop']) assert.ok(r.stdout.includes(`| ${name} |`), `no table row for '${name}'`);
    for (const kernel of ['forward, direct', 'forward, Winograd', 'input gradient as routed (Winograd)', 'filter gradient, Winograd']) assert.ok(r.stdout.includes(kernel), `no '${kernel}' row`);
    assert.not.ok(/\| NaN|n\/a \| n\/a/.test(r.stdout), 'a timing is missing');
    const torch = r.stdout.includes('| PyTorch, 1 thread (same step) |');
    assert.ok(torch || r.stdout.includes('PyTorch not measured here'), 'PyTorch neither measured nor explained');
    if (torch) assert.ok(r.stdout.includes('| PyTorch, 2 threads (same step) |'), 'no PyTorch 2-thread row');
  });

  test('--only runs the named sections; an unknown name is an error', () => {
    const r = bench('--quick', '--only', 'limit', '--no-jax', '--no-torch');
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes("## 3. The machine's limit"));
    assert.not.ok(r.stdout.includes('## 1. MLP step'));
    const bad = bench('--only', 'nope');
    assert.is(bad.code, 2);
    assert.ok(bad.stderr.includes('unknown section(s) nope'));
  });
}

test.run();
