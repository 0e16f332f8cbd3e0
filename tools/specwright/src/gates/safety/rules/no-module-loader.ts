import type ts from 'typescript';
import { defineRule } from '../rule';
import { accessPaths, showPath } from '../resolve';

const REQUIRE_INTERNALS = new Set(['cache', 'main', 'extensions', 'resolve']);

/** `module.constructor`, `module.require`, `require.cache`, `require.main`: doors into the module loader. */
export const noModuleLoader = defineRule({
  id: 'no-module-loader',
  description: 'reaching into the module loader (module.*, require.cache, require.main)',
  create(context) {
    const check = (node: ts.Node): void => {
      const path = accessPaths(context.resolver, node).find(
        (p) => (p[0] === 'module' && p.length >= 2 && p[1] !== 'exports') || (p[0] === 'require' && p.length >= 2 && REQUIRE_INTERNALS.has(p[1]!)),
      );
      if (path) context.report(node, `${showPath(path)} reaches into the module loader; import what you need statically`);
    };
    return { PropertyAccessExpression: check, ElementAccessExpression: check };
  },
});
