import type ts from 'typescript';
import { moduleReference } from '../ast';
import { defineRule } from '../rule';

/** Node built-ins no capability grants (vm, v8, inspector…), or that need a capability the spec does not grant. */
export const forbiddenModule = defineRule({
  id: 'forbidden-module',
  description: 'imports of Node built-ins that are never allowed or need an ungranted capability',
  create(context) {
    const check = (node: ts.Node): void => {
      const reference = moduleReference(node);
      if (!reference?.specifier) return;
      const problem = context.imports.check(context.file, reference.specifier, reference.typeOnly);
      if (problem?.[0] === 'forbidden-module') context.report(reference.node, problem[1]);
    };
    return { ImportDeclaration: check, ExportDeclaration: check, ImportEqualsDeclaration: check, CallExpression: check };
  },
});
