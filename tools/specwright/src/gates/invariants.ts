/**
 * Spec invariants: named boolean expressions over `args` and `result`, checked after every call that returns.
 * The expressions are staged as a CommonJS module beside the candidate and evaluated by the sandbox child (which
 * runs with code generation from strings disabled, so they cannot be compiled there at run time, and must never
 * be evaluated in the gate's own process).
 */
import type { Spec } from '../types';

/**
 * Why `expression` does not compile as the body of an invariant, or undefined when it does. Used by the spec
 * parser, which must stay light (no TypeScript compiler): the Function constructor only compiles the text here, it
 * is never called in this process.
 */
export function invariantSyntaxError(expression: string): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled to check the syntax, never called
    new Function('args', 'result', `return (\n${expression}\n);`);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The module the child loads: `module.exports = (api) => ({ <export>: [{ name, check(args, result) }] })`, where
 * `api` holds the candidate's functions. Params are bound by name from `args`, exports by name from `api`.
 */
export function invariantsModuleSource(spec: Pick<Spec, 'exports' | 'invariants'>): string | undefined {
  const invariants = spec.invariants ?? [];
  if (invariants.length === 0) return undefined;
  const exportNames = spec.exports.map((e) => e.name).filter((name) => IDENTIFIER.test(name));
  const byExport = new Map<string, string[]>();
  for (const invariant of invariants) {
    const exported = spec.exports.find((e) => e.name === invariant.export);
    if (!exported) continue;
    const params = exported.params.map((p) => p.name).filter((name) => IDENTIFIER.test(name) && name !== 'args' && name !== 'result');
    const exportBindings = exportNames.filter((name) => !params.includes(name) && name !== 'args' && name !== 'result');
    const body = [
      params.length ? `const [${params.join(', ')}] = args;` : '',
      exportBindings.length ? `const { ${exportBindings.join(', ')} } = api;` : '',
      `return (\n${invariant.check}\n);`,
    ]
      .filter(Boolean)
      .join('\n');
    const entry = `{ name: ${JSON.stringify(invariant.name)}, check: function (args, result) {\n${body}\n} }`;
    byExport.set(invariant.export, [...(byExport.get(invariant.export) ?? []), entry]);
  }
  const entries = [...byExport].map(([name, list]) => `${JSON.stringify(name)}: [${list.join(',\n')}]`);
  return `'use strict';\nmodule.exports = function (api) {\nreturn {\n${entries.join(',\n')}\n};\n};\n`;
}
