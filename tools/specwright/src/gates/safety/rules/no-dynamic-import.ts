import ts from 'typescript';
import { moduleReference } from '../ast';
import { defineRule } from '../rule';

/** `import(x)` with a computed name loads a module no rule could check. */
export const noDynamicImport = defineRule({
  id: 'no-dynamic-import',
  description: 'import() with a computed module name',
  create(context) {
    return {
      CallExpression(node) {
        const reference = moduleReference(node);
        if (reference?.kind === 'dynamic-import' && reference.specifier === undefined) {
          context.report(node, 'import() with a computed module name; use a static import of an allowed module');
        }
      },
    };
  },
});
