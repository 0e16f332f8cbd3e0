import type { ParsedSpec } from '../types';

/**
 * The proposed set as people review it: the order to implement it in (dependencies first), and a tree with each
 * spec above the specs it depends on. Specs outside the set (accepted ones) appear as leaves, marked.
 */
export function formatDraftTree(drafts: readonly ParsedSpec[], all: ReadonlyMap<string, ParsedSpec>): string {
  if (drafts.length === 0) return '';
  const draftIds = new Set(drafts.map((draft) => draft.spec.id));
  const order = dependencyOrder(drafts);
  const width = Math.max(...drafts.map((draft) => draft.spec.id.length));
  const lines = [`Proposed specs (${drafts.length} draft${drafts.length === 1 ? '' : 's'}), in dependency order:`];
  order.forEach((draft, index) => {
    const deps = draft.spec.dependsOn.map((id) => (draftIds.has(id) ? id : `${id} (accepted)`));
    lines.push(`  ${String(index + 1).padStart(2)}. ${draft.spec.id.padEnd(width)}  ${draft.file}${deps.length ? `  ← ${deps.join(', ')}` : ''}`);
  });
  lines.push('', 'Tree (each spec above what it depends on):');
  const dependedOn = new Set(drafts.flatMap((draft) => draft.spec.dependsOn));
  const roots = order.filter((draft) => !dependedOn.has(draft.spec.id)).reverse();
  const render = (id: string, prefix: string, last: boolean, top: boolean, path: Set<string>) => {
    const spec = all.get(id);
    const label = !spec ? `${id} (unknown)` : draftIds.has(id) ? `${id}  [${spec.spec.exports.map((exported) => exported.name).join(', ')}]` : `${id} (accepted)`;
    lines.push(top ? `  ${label}` : `  ${prefix}${last ? '└── ' : '├── '}${label}`);
    if (!spec || !draftIds.has(id) || path.has(id)) return;
    const children = spec.spec.dependsOn;
    const nextPrefix = top ? '' : `${prefix}${last ? '    ' : '│   '}`;
    children.forEach((child, index) => render(child, nextPrefix, index === children.length - 1, false, new Set([...path, id])));
  };
  for (const root of roots) render(root.spec.id, '', true, true, new Set());
  return lines.join('\n');
}

/** Dependencies first; ties by id, so the listing is stable. A cycle (the graph checks reject it) ends the walk. */
export function dependencyOrder<T extends ParsedSpec>(specs: readonly T[]): T[] {
  const byId = new Map(specs.map((spec) => [spec.spec.id, spec]));
  const done = new Set<string>();
  const order: T[] = [];
  const visit = (spec: T, path: Set<string>) => {
    if (done.has(spec.spec.id) || path.has(spec.spec.id)) return;
    for (const id of [...spec.spec.dependsOn].sort()) {
      const dependency = byId.get(id);
      if (dependency) visit(dependency, new Set([...path, spec.spec.id]));
    }
    done.add(spec.spec.id);
    order.push(spec);
  };
  for (const spec of [...specs].sort((a, b) => a.spec.id.localeCompare(b.spec.id))) visit(spec, new Set());
  return order;
}
