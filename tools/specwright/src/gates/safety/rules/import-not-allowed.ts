import type ts from 'typescript';
import { moduleReference } from '../ast';
import { defineRule } from '../rule';

/** Modules outside the spec's allowed set: not an output of it or its dependsOn specs, not in allowedImports. */
export const importNotAllowed = defineRule({
  id: 'import-not-allowed',
  description: 'imports of modules that are not outputs of this spec or its dependsOn specs, nor in allowedImports',
  create(context) {
    const check = (node: ts.Node): void => {
      const reference = moduleReference(node);
      if (!reference?.specifier) return;
      const problem = context.imports.check(context.file, reference.specifier, reference.typeOnly);
      if (problem?.[0] === 'import-not-allowed') context.report(reference.node, problem[1]);
    };
    return { ImportDeclaration: check, ExportDeclaration: check, ImportEqualsDeclaration: check, CallExpression: check };
  },
});
