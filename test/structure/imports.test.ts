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

// Static imports and re-exports (`import type` and `export ... from` included), each at the start
// of a statement, so doc-comment examples (` * import ...`) are not read as imports.
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[\w\s{},*$]*?\bfrom\s*)?'([^']+)'/gm;

/** Each lib file (path relative to the repository) and the lib files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(lib)) {
    const targets: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1];
      if (!spec.startsWith('.')) continue; // packages
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      assert.ok(statSync(target, { throwIfNoEntry: false })?.isFile(), `${rel(file)} imports ${spec}, which is no file`);
      targets.push(rel(target));
    }
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
 * is the core's numpy face written at the level of its primitives ("all through bind",
 * docs/design; JAX's jax.numpy likewise sits beside jax.lax inside jax._src). Every other
 * layer sees only lib/core/index.ts.
 */
const INSIDE_CORE = [/^lib\/core\//, /^lib\/ops\//];

const Imports = suite('source imports');
const graph = importGraph();

Imports('no import circles, type-only imports included', () => {
  const found = circles(graph);
  assert.equal(found, [], `import circles:\n${found.join('\n')}`);
});

Imports('outside lib/core (and np) only lib/core/index.ts is imported from the core', () => {
  const leaks: string[] = [];
  for (const [file, targets] of graph) {
    if (INSIDE_CORE.some((r) => r.test(file))) continue;
    for (const t of targets) if (t.startsWith('lib/core/') && t !== 'lib/core/index.ts') leaks.push(`${file} imports ${t}`);
  }
  assert.equal(leaks, [], `core internals imported from outside the core:\n${leaks.join('\n')}`);
});

Imports('the reader sees every kind of import', () => {
  // A guard on the regular expression: these files are known to hold each form.
  assert.ok(graph.get('lib/core/index.ts')!.includes('lib/core/interpreters/eval.ts'), "side-effect import './x.js'");
  assert.ok(graph.get('lib/core/index.ts')!.includes('lib/core/api.ts'), "export { ... } from './x.js'");
  assert.ok(graph.get('lib/ops/index.ts')!.includes('lib/ops/math.ts'), "export * from './x.js'");
});

Imports.run();
