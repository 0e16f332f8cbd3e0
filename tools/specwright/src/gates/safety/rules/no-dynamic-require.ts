import ts from 'typescript';
import { isAccessedOrCalled, isValueReference, moduleReference, skipParens } from '../ast';
import { isExactly } from '../resolve';
import { defineRule } from '../rule';

/** `require(x)` with a computed name, `import x = require(y)`, and `require` passed around as a value. */
export const noDynamicRequire = defineRule({
  id: 'no-dynamic-require',
  description: 'require() with a computed module name, or require used as a value',
  create(context) {
    const check = (node: ts.Node): void => {
      const reference = moduleReference(node);
      if (ts.isCallExpression(node) && !reference) {
        // process.getBuiltinModule(x), an aliased require(x) with a name that cannot be known statically
        const callee = skipParens(node.expression);
        const loader = context.resolver.paths(callee).find((p) => isExactly(p, 'process', 'getBuiltinModule') || isExactly(p, 'require') || isExactly(p, 'module', 'require'));
        if (loader && context.resolver.paths(node).some((p) => isExactly(p, 'module:*'))) {
          context.report(node, `${loader.join('.')}() with a computed module name; use a static import of an allowed module`);
        }
        return;
      }
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
