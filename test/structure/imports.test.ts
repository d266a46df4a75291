// The source tree's import graph: no import circles (type-only imports included, since they
// still tie two modules' designs together), and the core closed behind lib/core/index.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const lib = join(root, 'lib');
const rel = (f: string) => relative(root, f).split(sep).join('/');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * The relative specifiers of a module's static imports and re-exports (`import type` and
 * `export ... from` included), each at the start of a statement, so doc-comment examples
 * (` * import ...`) are not read as imports. Dynamic `import()` loads lazily and is left out.
 */
function importsOf(source: string): string[] {
  const found = source.matchAll(/^\s*(?:import|export)\s+(?:[\w\s{},*$]*?\bfrom\s*)?'([^']+)'/gm);
  return [...found].map((m) => m[1]).filter((spec) => spec.startsWith('.'));
}

/** Each lib file (path relative to the repository) and the lib files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(lib)) {
    const targets = importsOf(readFileSync(file, 'utf8')).map((spec) => {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      assert.ok(statSync(target, { throwIfNoEntry: false })?.isFile(), `${rel(file)} imports ${spec}, which is no file`);
      return rel(target);
    });
    graph.set(rel(file), targets);
  }
  return graph;
}

/** Per strongly connected component of more than one file (Tarjan): one circle through it and its files. */
function circles(graph: Map<string, string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) {
      const circle = pathWithin(graph, new Set(component), v).join(' -> ');
      found.push(component.length > 2 ? `${circle} (among ${component.sort().join(', ')})` : circle);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A shortest path from `start` back to itself inside one component, to name the circle. */
function pathWithin(graph: Map<string, string[]>, component: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = previous.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component];
}

/**
 * Where the core's internals may be imported from: the core itself, and `lib/ops` (`np`), which
 * is the core's numpy face written at the level of its primitives (the design notes: "all
 * through bind"; JAX's jax.numpy likewise sits beside jax.lax inside jax._src). Every other
 * layer sees only lib/core/index.ts.
 */
const INSIDE_CORE = [/^lib\/core\//, /^lib\/ops\//];
/**
 * The one internal a layer below the core may read: lib/backend compiles the IR's fused
 * elementwise program (a type of lib/core/jit/ir.ts) for the lowering (lib/core/lower/),
 * which is the only code that calls it.
 */
const LOWERING_TARGETS: ReadonlyArray<readonly [RegExp, string]> = [[/^lib\/backend\//, 'lib/core/jit/ir.ts']];

const Imports = suite('source imports');
const graph = importGraph();

Imports('no import circles, type-only imports included', () => {
  const found = circles(graph);
  assert.equal(found, [], `import circles:\n${found.join('\n')}`);
});

Imports('outside lib/core (and np) only lib/core/index.ts is imported from the core (and the IR by the backend)', () => {
  const leaks: string[] = [];
  for (const [file, targets] of graph) {
    if (INSIDE_CORE.some((r) => r.test(file))) continue;
    const allowed = (t: string) => t === 'lib/core/index.ts' || LOWERING_TARGETS.some(([from, target]) => from.test(file) && t === target);
    for (const t of targets) if (t.startsWith('lib/core/') && !allowed(t)) leaks.push(`${file} imports ${t}`);
  }
  assert.equal(leaks, [], `core internals imported from outside the core:\n${leaks.join('\n')}`);
});

Imports('the reader sees every kind of static import', () => {
  const source = [
    "import * as tf from '@tensorflow/tfjs-core';",
    "import './side-effect.js';",
    "import type { A } from './type-only.js';",
    "import { type B, c } from '../mixed.js';",
    'import {',
    '  d,',
    '  type E,',
    "} from './multi-line.js';",
    "export * from './star.js';",
    "export { f } from './re-export.js';",
    "export type { G } from './type-re-export.js';",
    '/**',
    " * import { h } from './in-a-doc-comment.js';",
    ' */',
    "const lazy = () => import('./dynamic.js');",
    "export const message = 'from ./not-an-import.js';",
  ].join('\n');
  assert.equal(importsOf(source), ['./side-effect.js', './type-only.js', '../mixed.js', './multi-line.js', './star.js', './re-export.js', './type-re-export.js']);
});

Imports.run();
