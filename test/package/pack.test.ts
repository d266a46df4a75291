/**
 * The package as a user gets it: `npm pack`, then a fresh project that installs the tarball
 * (from the npm cache: --prefer-offline) imports tfjax in Node (ESM), type-checks the
 * README's tour under TypeScript strict (moduleResolution nodenext and bundler), runs it,
 * bundles it for the browser, and has no Dawn (`webgpu`) unless it asks for it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transformSync } from 'esbuild';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compiledIsFresh } from '../../bin/fresh.mjs';

const test = suite('package: npm pack, installed in a fresh project');
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tfjax-pack-'));
const project = join(dir, 'project');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Every documented subpath entry (tfjax/ssl/arbitraries and tfjax/ssl/swav/arbitraries need the optional fast-check). */
const entries = [
  "import * as augment from 'tfjax/data/augment';",
  "import * as data from 'tfjax/data';",
  "import * as random from 'tfjax/random';",
  "import * as parallel from 'tfjax/parallel';",
  "console.log([typeof augment.twoViews, typeof data.loadFashionMnist, typeof random.split, typeof parallel.dataParallel].join(' '));",
].join('\n');

/** The README's tour (its first ts block), as a user writes it. */
const tour = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'))![1]!;

test.before(() => {
  // What `prepare` does, unless dist/ is already newer than every source.
  if (!compiledIsFresh(join(root, 'dist/lib/node.js'), join(root, 'lib'))) execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root });
  const tarball = npm(['pack', '--ignore-scripts', '--pack-destination', dir], root).trim().split('\n').pop()!;
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'fresh', version: '1.0.0', private: true, type: 'module' }));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], project);
  writeFileSync(join(project, 'tour.ts'), tour);
  writeFileSync(join(project, 'entries.ts'), entries);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const resolution of ['nodenext', 'bundler'] as const) {
  test(`the README tour and the subpath entries type-check under strict with moduleResolution ${resolution}`, () => {
    const module = resolution === 'bundler' ? 'esnext' : 'nodenext';
    // skipLibCheck as tfjs users need it (tfjs-core's and @webgpu/types' own .d.ts clash with
    // today's DOM lib); the tour itself is checked strictly against tfjax's types.
    const config = { compilerOptions: { target: 'es2022', module, moduleResolution: resolution, strict: true, noEmit: true, skipLibCheck: true, lib: ['es2022', 'dom'], typeRoots: [join(root, 'node_modules/@types')], types: ['node'] }, files: ['tour.ts', 'entries.ts'] };
    writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify(config));
    try {
      execFileSync(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], { cwd: project, encoding: 'utf8' });
    } catch (e) {
      assert.unreachable(`tsc failed:\n${(e as { stdout?: string }).stdout}`);
    }
  });
}

test('the README tour runs in Node from the installed package (ESM)', () => {
  writeFileSync(join(project, 'tour.mjs'), transformSync(tour, { loader: 'ts' }).code);
  const out = execFileSync(process.execPath, ['tour.mjs'], { cwd: project, encoding: 'utf8' });
  assert.match(out, /d2f\/dx2\s+Float32Array\(2\) \[ 4\.1218\d*, 8\.1548\d* \]/);
  assert.match(out, /per-example grads \[ 2, 3, 2 \]/);
});

test('the subpath entries import in Node', () => {
  writeFileSync(join(project, 'entries.mjs'), transformSync(entries, { loader: 'ts' }).code);
  assert.is(execFileSync(process.execPath, ['entries.mjs'], { cwd: project, encoding: 'utf8' }).trim(), 'function function function function');
});

test("Node gets the node entry (files, checkpoints), a browser bundle the browser one, with nothing from Node", async () => {
  const exports = execFileSync(process.execPath, ['--input-type=module', '-e', "const t = await import('tfjax'); console.log(typeof t.readSafetensorsFile, typeof t.checkpoint?.save, typeof t.setWasmPaths)"], { cwd: project, encoding: 'utf8' });
  assert.is(exports.trim(), 'function function function');
  const r = await build({ stdin: { contents: tour, loader: 'ts', resolveDir: project }, bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith('tfjax/dist/lib/index.js')), 'bundles the browser entry');
  assert.equal(inputs.filter((f) => /^node:|tfjax\/dist\/lib\/(node|backend\/node|backend\/webgpu-node|io\/safetensors-file)\.js/.test(f)), []);
});

test('no webgpu (Dawn) is installed unless asked for', () => {
  // `npm ls` exits 1 when nothing matches; its JSON says what it found either way.
  let out: string;
  try {
    out = npm(['ls', 'webgpu', '--all', '--json'], project);
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  assert.equal((JSON.parse(out) as { dependencies?: object }).dependencies ?? {}, {});
});

test.run();
