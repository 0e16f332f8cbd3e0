import ts from 'typescript';
import { moduleReference, skipParens } from '../ast';
import { isExactly } from '../resolve';
import { defineRule } from '../rule';

/** Node built-ins no capability grants (vm, v8, inspector…), or that need a capability the spec does not grant. */
export const forbiddenModule = defineRule({
  id: 'forbidden-module',
  description: 'imports of Node built-ins that are never allowed or need an ungranted capability',
  create(context) {
    const check = (node: ts.Node): void => {
      const reference = moduleReference(node);
      const specifier = reference?.specifier ?? computedSpecifier(node);
      if (specifier === undefined) return;
      const problem = context.imports.check(context.file, specifier, reference?.typeOnly ?? false);
      if (problem?.[0] === 'forbidden-module') context.report(reference?.specifier !== undefined ? reference.node : node, problem[1]);
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
