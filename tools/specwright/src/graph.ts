import { SpecwrightError } from './errors';
import type { ParsedSpec } from './types';

/** Line and column of the first occurrence of `needle` in `source` at or after `from`, for messages about spec text. */
export function positionOfText(source: string, needle: string, from = 0): { line: number; column: number } {
  const index = source.indexOf(needle, from);
  if (index < 0) return { line: 1, column: 1 };
  const before = source.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

function positionOfDependency(spec: ParsedSpec, id: string): { line: number; column: number } {
  const dependsOnAt = spec.source.search(/^dependsOn\s*:/m);
  return positionOfText(spec.source, id, Math.max(0, dependsOnAt));
}

/**
 * Checks the specs as a set — unique ids, one owner per output, known dependencies, no cycles — and returns them
 * so that every spec comes after the specs it depends on. The set must be closed under `dependsOn`: the loader
 * brings in the specs of every project the current one depends on.
 */
export function orderSpecs(specs: readonly ParsedSpec[]): ParsedSpec[] {
  const byId = new Map<string, ParsedSpec>();
  const outputOwner = new Map<string, ParsedSpec>();
  for (const spec of specs) {
    const other = byId.get(spec.spec.id);
    if (other) {
      throw new SpecwrightError(`spec id "${spec.spec.id}" is already used by ${other.file}`, {
        file: spec.file,
        ...positionOfText(spec.source, spec.spec.id),
        expected: 'an id unique in the workspace',
        fix: `rename the id in ${spec.file} or ${other.file}`,
        code: 'SPEC_DUPLICATE_ID',
      });
    }
    byId.set(spec.spec.id, spec);
    for (const output of spec.outputFiles) {
      const owner = outputOwner.get(output);
      if (owner) {
        throw new SpecwrightError(`output ${output} is already owned by spec "${owner.spec.id}" (${owner.file})`, {
          file: spec.file,
          ...positionOfText(spec.source, output.split('/').pop() ?? output),
          expected: 'each generated file owned by exactly one spec',
          fix: `remove ${output} from the outputs of one of the two specs`,
          code: 'SPEC_DUPLICATE_OUTPUT',
        });
      }
      outputOwner.set(output, spec);
    }
  }
  for (const spec of specs) {
    for (const id of spec.spec.dependsOn) {
      if (!byId.has(id)) {
        throw new SpecwrightError(`dependsOn names "${id}", which is not a spec id`, {
          file: spec.file,
          ...positionOfDependency(spec, id),
          expected: `the id of an existing spec${byId.size ? ` (known: ${[...byId.keys()].sort().slice(0, 8).join(', ')}${byId.size > 8 ? ', …' : ''})` : ''}`,
          fix: `fix or remove "${id}" in ${spec.file}`,
          code: 'SPEC_UNKNOWN_DEPENDENCY',
        });
      }
    }
  }

  // Depth-first topological sort; the grey set finds cycles and the path names every spec in one.
  const ordered: ParsedSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (spec: ParsedSpec, path: ParsedSpec[]): void => {
    const seen = state.get(spec.spec.id);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(spec)), spec];
      const from = path[path.length - 1] as ParsedSpec;
      throw new SpecwrightError(`dependency cycle: ${cycle.map((s) => s.spec.id).join(' → ')}`, {
        file: from.file,
        ...positionOfDependency(from, spec.spec.id),
        expected: 'dependsOn edges without cycles',
        fix: `remove one of the dependsOn edges (${cycle.map((s) => s.file).filter((f, i, all) => all.indexOf(f) === i).join(', ')})`,
        code: 'SPEC_DEPENDENCY_CYCLE',
      });
    }
    state.set(spec.spec.id, 'visiting');
    for (const id of [...spec.spec.dependsOn].sort()) visit(byId.get(id) as ParsedSpec, [...path, spec]);
    state.set(spec.spec.id, 'done');
    ordered.push(spec);
  };
  for (const spec of [...specs].sort((a, b) => a.spec.id.localeCompare(b.spec.id))) visit(spec, []);
  return ordered;
}
