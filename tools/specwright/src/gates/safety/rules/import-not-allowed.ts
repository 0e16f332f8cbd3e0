import ts from 'typescript';
import { moduleReference, skipParens } from '../ast';
import { isExactly } from '../resolve';
import { defineRule } from '../rule';

/** Modules outside the spec's allowed set: not an output of it or its dependsOn specs, not in allowedImports. */
export const importNotAllowed = defineRule({
  id: 'import-not-allowed',
  description: 'imports of modules that are not outputs of this spec or its dependsOn specs, nor in allowedImports',
  create(context) {
    const check = (node: ts.Node): void => {
      const reference = moduleReference(node);
      const specifier = reference?.specifier ?? computedSpecifier(node);
      if (specifier === undefined) return;
      const problem = context.imports.check(context.file, specifier, reference?.typeOnly ?? false);
      if (problem?.[0] === 'import-not-allowed') context.report(reference?.specifier !== undefined ? reference.node : node, problem[1]);
    };
    /** `require('child_' + 'process')`, `process.getBuiltinModule('fs')`: the module, when its name is static. */
    const computedSpecifier = (node: ts.Node): string | undefined => {
      if (!ts.isCallExpression(node)) return undefined;
      const loaded = context.resolver.paths(node).find((p) => p.length === 1 && p[0]!.startsWith('module:') && p[0] !== 'module:*');
      if (!loaded) return undefined;
      const name = loaded[0]!.slice('module:'.length);
      const builtinLoader = context.resolver.paths(skipParens(node.expression)).some((p) => isExactly(p, 'process', 'getBuiltinModule'));
      return builtinLoader ? `node:${name}` : name;
    };
    return { ImportDeclaration: check, ExportDeclaration: check, ImportEqualsDeclaration: check, CallExpression: check };
  },
});
