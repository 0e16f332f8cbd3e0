import ts from 'typescript';
import { accessedName, isAccessedOrCalled, isGlobalObject, isValueReference, processReference, skipParens } from '../ast';
import { accessPaths, startsWith } from '../resolve';
import { defineRule } from '../rule';

/** `process.env` and every way around the check: through the global object, destructured, or `process` passed along. */
export const noProcessEnv = defineRule({
  id: 'no-process-env',
  description: "reading the environment without the 'env' capability",
  create(context) {
    if (context.capabilities.has('env')) return {};
    const checkAccess = (node: ts.Node): void => {
      const access = node as ts.PropertyAccessExpression | ts.ElementAccessExpression;
      const name = accessedName(access);
      const owner = skipParens(access.expression);
      const processName = processReference(owner);
      if (processName && name === 'env') {
        context.report(node, `${processName}.env reads the environment; take the value as a parameter, or grant 'env' in constraints.capabilities`);
      }
      if (name === 'process' && isGlobalObject(owner)) {
        context.report(node, `${(owner as ts.Identifier).text}.process bypasses the process checks; do not reach process through the global object (grant 'env' if the environment is really needed)`);
      }
      viaResolver(node);
    };
    // process['en' + 'v'], Reflect.get(process, 'env'), g.process.env with g = globalThis…
    const viaResolver = (node: ts.Node): void => {
      if (accessPaths(context.resolver, node).some((p) => p.length === 2 && startsWith(p, 'process', 'env'))) {
        context.report(node, `${node.getText(context.sourceFile).slice(0, 60)} reads the environment; take the value as a parameter, or grant 'env' in constraints.capabilities`);
      }
    };
    return {
      PropertyAccessExpression: checkAccess,
      ElementAccessExpression: checkAccess,
      CallExpression: viaResolver,
      Identifier(node) {
        const identifier = node as ts.Identifier;
        if (identifier.text !== 'process' || !isValueReference(identifier) || isAccessedOrCalled(identifier)) return;
        context.report(node, "passing process around hides its uses (env, binding); use only process.<member> directly, or grant 'env'");
      },
      VariableDeclaration(node) {
        const declaration = node as ts.VariableDeclaration;
        if (!ts.isObjectBindingPattern(declaration.name) || !declaration.initializer) return;
        const sources = context.resolver.paths(declaration.initializer);
        const processName = processReference(declaration.initializer) ?? (sources.some((p) => p.length === 1 && p[0] === 'process') ? 'process' : undefined);
        const fromGlobal = isGlobalObject(declaration.initializer) || sources.some((p) => p.length === 1 && p[0] === 'globalThis');
        for (const element of declaration.name.elements) {
          const key = element.propertyName ?? element.name;
          const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined;
          if (processName && name === 'env') {
            context.report(element, `destructuring env from ${processName} reads the environment; take the value as a parameter, or grant 'env'`);
          }
          if (fromGlobal && name === 'process') {
            context.report(element, "destructuring process from the global object bypasses the process checks; remove it (grant 'env' if needed)");
          }
        }
      },
    };
  },
});
