import ts from 'typescript';
import { isAssignmentOperator, skipParens } from '../ast';
import { defineRule } from '../rule';

/** Methods that change the object they are called on (arrays, maps, sets, dates). */
const MUTATORS = new Set([
  'push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin',
  'set', 'delete', 'add', 'clear',
  'setTime', 'setFullYear', 'setMonth', 'setDate', 'setHours', 'setMinutes', 'setSeconds', 'setMilliseconds',
]);

/** The identifier at the root of `a.b[c].d` (undefined for anything else). */
function rootName(expression: ts.Expression): string | undefined {
  let node = skipParens(expression);
  while (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = skipParens(node.expression);
  return ts.isIdentifier(node) ? node.text : undefined;
}

function isFrozen(initializer: ts.Expression): boolean {
  const node = skipParens(initializer);
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === 'Object' && node.expression.name.text === 'freeze';
}

/** An initializer that makes an object whose contents can change (not a primitive, not frozen, not a function). */
function holdsMutableObject(initializer: ts.Expression): boolean {
  const node = skipParens(initializer);
  if (isFrozen(node)) return false;
  return ts.isObjectLiteralExpression(node) || ts.isArrayLiteralExpression(node) || ts.isNewExpression(node);
}

/**
 * Module-level mutable state makes a pure function's result depend on earlier calls: top-level `let`/`var`, and
 * top-level `const` objects (literals, `new Map()`…) that the module changes anywhere (assigns into, deletes from,
 * or calls a mutating method on). Constant tables the module only reads stay allowed.
 */
export const pureNoMutableState = defineRule({
  id: 'pure-no-mutable-state',
  description: "module-level let/var, and module-level const objects the module mutates, in pure specs",
  create(context) {
    if (!context.pure) return {};
    const candidates = new Map<string, ts.VariableDeclaration>();
    const mutated = new Map<string, ts.Node>();
    const note = (target: ts.Expression, at: ts.Node): void => {
      const target0 = skipParens(target);
      // only a change *inside* the object: `x.y = …`, `x[k] = …` (reassigning a const does not compile)
      if (!ts.isPropertyAccessExpression(target0) && !ts.isElementAccessExpression(target0)) return;
      const name = rootName(target0);
      if (name && candidates.has(name) && !mutated.has(name)) mutated.set(name, at);
    };
    return {
      SourceFile(node) {
        const sf = node as ts.SourceFile;
        for (const statement of sf.statements) {
          if (!ts.isVariableStatement(statement)) continue;
          const flags = statement.declarationList.flags;
          if (flags & ts.NodeFlags.Const || flags & ts.NodeFlags.Using || flags & ts.NodeFlags.AwaitUsing) {
            for (const declaration of statement.declarationList.declarations) {
              if (ts.isIdentifier(declaration.name) && declaration.initializer && holdsMutableObject(declaration.initializer)) candidates.set(declaration.name.text, declaration);
            }
            continue;
          }
          const kind = flags & ts.NodeFlags.Let ? 'let' : 'var';
          const names = statement.declarationList.declarations.map((d) => d.name.getText(sf)).join(', ');
          context.report(statement, `top-level '${kind} ${names}' is module-level mutable state in a pure spec; use const, or keep the state inside the function`);
        }
      },
      BinaryExpression(node) {
        const binary = node as ts.BinaryExpression;
        if (isAssignmentOperator(binary.operatorToken.kind)) note(binary.left, node);
      },
      PrefixUnaryExpression(node) {
        const unary = node as ts.PrefixUnaryExpression;
        if (unary.operator === ts.SyntaxKind.PlusPlusToken || unary.operator === ts.SyntaxKind.MinusMinusToken) note(unary.operand, node);
      },
      PostfixUnaryExpression(node) {
        note((node as ts.PostfixUnaryExpression).operand, node);
      },
      DeleteExpression(node) {
        note((node as ts.DeleteExpression).expression, node);
      },
      CallExpression(node) {
        const callee = skipParens((node as ts.CallExpression).expression);
        if (!ts.isPropertyAccessExpression(callee) || !MUTATORS.has(callee.name.text)) return;
        const name = rootName(callee.expression);
        if (name && candidates.has(name) && !mutated.has(name)) mutated.set(name, node);
      },
      EndOfFileToken() {
        for (const [name, at] of mutated) {
          const declaration = candidates.get(name)!;
          const { line, character } = context.sourceFile.getLineAndCharacterOfPosition(at.getStart(context.sourceFile));
          context.report(declaration, `top-level const '${name}' holds an object the module changes (at ${line + 1}:${character + 1}): module-level mutable state in a pure spec; keep the state inside the function`);
        }
      },
    };
  },
});
