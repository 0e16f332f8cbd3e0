import ts from 'typescript';
import { isAccessedOrCalled, isValueReference, moduleReference } from '../ast';
import { defineRule } from '../rule';

/** `require(x)` with a computed name, `import x = require(y)`, and `require` passed around as a value. */
export const noDynamicRequire = defineRule({
  id: 'no-dynamic-require',
  description: 'require() with a computed module name, or require used as a value',
  create(context) {
    const check = (node: ts.Node): void => {
      const reference = moduleReference(node);
      if (reference?.kind !== 'require' || reference.specifier !== undefined) return;
      const what = ts.isImportEqualsDeclaration(node) ? 'import = require()' : 'require()';
      context.report(node, `${what} with a computed module name; use a static import of an allowed module`);
    };
    return {
      CallExpression: check,
      ImportEqualsDeclaration: check,
      Identifier(node) {
        const identifier = node as ts.Identifier;
        if (identifier.text !== 'require' || !isValueReference(identifier) || isAccessedOrCalled(identifier)) return;
        context.report(node, 'require used as a value hides which modules are loaded; use static imports of allowed modules');
      },
    };
  },
});
