import ts from 'typescript';
import { moduleReference, skipParens } from '../ast';
import { isExactly } from '../resolve';
import { defineRule } from '../rule';

/**
 * The two rules about what a module may import share one visitor: every import, export-from, `import x = require()`
 * and call that loads a module by a static name (also built up or through `process.getBuiltinModule`) is judged by
 * the spec's import policy, and each rule reports the verdicts that carry its id.
 */
export function moduleImportRule(id: 'forbidden-module' | 'import-not-allowed', description: string) {
  return defineRule({
    id,
    description,
    create(context) {
      /** `require('child_' + 'process')`, `process.getBuiltinModule('fs')`: the module, when its name is static. */
      const computedSpecifier = (node: ts.Node): string | undefined => {
        if (!ts.isCallExpression(node)) return undefined;
        const loaded = context.resolver.paths(node).find((p) => p.length === 1 && p[0]!.startsWith('module:') && p[0] !== 'module:*');
        if (!loaded) return undefined;
        const name = loaded[0]!.slice('module:'.length);
        const builtinLoader = context.resolver.paths(skipParens(node.expression)).some((p) => isExactly(p, 'process', 'getBuiltinModule'));
        return builtinLoader ? `node:${name}` : name;
      };
      const check = (node: ts.Node): void => {
        const reference = moduleReference(node);
        const specifier = reference?.specifier ?? computedSpecifier(node);
        if (specifier === undefined) return;
        const problem = context.imports.check(context.file, specifier, reference?.typeOnly ?? false);
        if (problem?.[0] === id) context.report(reference?.specifier !== undefined ? reference.node : node, problem[1]);
      };
      return { ImportDeclaration: check, ExportDeclaration: check, ImportEqualsDeclaration: check, CallExpression: check };
    },
  });
}
