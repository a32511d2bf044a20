import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Imports point one way (http/apps -> services -> repositories and core; adapters implement ports):
 * no folder imports a folder that imports it back. A folder is a top-level folder of src/ (each
 * folder of src/core on its own) or of adapters/; files directly in src/ form the folder "src".
 * Type-only imports count: they tie the folders together just the same.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROOTS = ['src', 'adapters'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return sources(path);
    return /\.ts$/.test(d.name) && !d.name.endsWith('.d.ts') ? [path] : [];
  });
}

function folderOf(file: string): string | null {
  const parts = relative(ROOT, file).split('/');
  if (!ROOTS.includes(parts[0])) return null;
  if (parts.length === 2) return parts[0];
  if (parts[0] === 'src' && parts[1] === 'core' && parts.length > 3) return `src/core/${parts[2]}`;
  return `${parts[0]}/${parts[1]}`;
}

/** folder -> folder -> the imports (file: specifier) that make the edge. */
export function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const root of ROOTS) {
    for (const file of sources(join(ROOT, root))) {
      const from = folderOf(file)!;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2];
        if (!spec.startsWith('.')) continue;
        const to = folderOf(resolve(dirname(file), spec));
        if (!to || to === from) continue;
        const edges = graph.get(from) ?? new Map<string, string[]>();
        edges.set(to, [...(edges.get(to) ?? []), `${relative(ROOT, file)}: ${spec}`]);
        graph.set(from, edges);
      }
    }
  }
  return graph;
}

/** Strongly connected components with more than one folder (Tarjan). */
export function folderCycles(graph: Map<string, Map<string, string[]>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

describe('folder import graph', () => {
  it('has no cycle between folders of the shell (each cycle is named with the imports that close it)', () => {
    const graph = folderGraph();
    const cycles = folderCycles(graph)
      .filter((c) => !c.every((f) => f.startsWith('src/core/')))
      .map((c) => {
        const edges = c.flatMap((a) => c.filter((b) => graph.get(a)?.has(b)).map((b) => `${a} -> ${b} (${graph.get(a)!.get(b)!.slice(0, 2).join('; ')})`));
        return `${c.join(' <-> ')}:\n    ${edges.join('\n    ')}`;
      });
    expect(cycles, cycles.join('\n')).toEqual([]);
  });

  it('has no cycle in src/core, and its folders import only the layers below them (the paper, bottom up)', () => {
    // util -> chemistry -> domain (campaign: design space, objectives, process, strategy, lifecycles,
    // success, predictions) -> surrogates, knowledge, bo -> rl (environment, TD3, reward) -> tep ->
    // amr -> aimatdesign (trainer, design iteration, proposals) -> analytics. A folder may import
    // any folder on a lower line; folders on one line do not import each other.
    const LAYERS = [['util'], ['chemistry'], ['domain'], ['surrogates', 'knowledge', 'bo'], ['rl'], ['tep'], ['amr'], ['aimatdesign'], ['analytics']];
    const layer = new Map<string, number>(LAYERS.flatMap((names, i) => names.map((n): [string, number] => [`src/core/${n}`, i])));
    const graph = folderGraph();
    const core = [...graph.keys()].filter((f) => f.startsWith('src/core/'));
    expect(core.filter((f) => !layer.has(f)), 'every folder of src/core has a layer').toEqual([]);
    const upward = core.flatMap((from) =>
      [...graph.get(from)!.entries()]
        .filter(([to]) => to.startsWith('src/core/') && layer.get(to)! >= layer.get(from)!)
        .map(([to, why]) => `${from} -> ${to} (${why[0]})`),
    );
    expect(upward).toEqual([]);
    expect(folderCycles(graph).filter((c) => c.every((f) => f.startsWith('src/core/')))).toEqual([]);
  });

  it('finds a cycle when there is one (the checker itself)', () => {
    const g = new Map([
      ['a', new Map([['b', ['x']]])],
      ['b', new Map([['c', ['y']]])],
      ['c', new Map([['a', ['z']]])],
      ['d', new Map([['a', ['w']]])],
    ]);
    expect(folderCycles(g)).toEqual([['a', 'b', 'c']]);
  });

  it('keeps controllers thin: src/http reaches the database only through services (entities alone, for OpenAPI schemas and types)', () => {
    const reaching = [...(folderGraph().get('src/http')?.get('src/repositories') ?? [])].filter((why) => !/\/repositories\/entities\//.test(why));
    expect(reaching).toEqual([]);
  });

  it('keeps src/core free of the shell: core imports only core', () => {
    const graph = folderGraph();
    const outward = [...graph.entries()]
      .filter(([from]) => from.startsWith('src/core/'))
      .flatMap(([from, edges]) => [...edges.entries()].filter(([to]) => !to.startsWith('src/core/')).map(([to, why]) => `${from} -> ${to} (${why[0]})`));
    expect(outward).toEqual([]);
  });
});
