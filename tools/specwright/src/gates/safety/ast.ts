/**
 * Syntax helpers the safety rules share: unwrapping parentheses/casts/commas, recognising the global object and
 * `process`, telling value references from declarations and types, and the module references of a node.
 */
import ts from 'typescript';

export const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);

export function isTypeOnlyImport(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    return !!node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly);
  }
  const clause = node.importClause;
  if (!clause) return false; // side-effect import: runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

export function skipParens(expression: ts.Expression): ts.Expression {
  let current = expression;
  for (;;) {
    if (ts.isParenthesizedExpression(current)) current = current.expression;
    else if (ts.isBinaryExpression(current) && current.operatorToken.kind === ts.SyntaxKind.CommaToken) current = current.right;
    else if (ts.isAsExpression(current) || ts.isNonNullExpression(current) || ts.isTypeAssertionExpression(current) || ts.isSatisfiesExpression(current)) {
      current = current.expression;
    } else return current;
  }
}

export function isGlobalObject(expression: ts.Expression): boolean {
  const target = skipParens(expression);
  return ts.isIdentifier(target) && GLOBAL_OBJECTS.has(target.text);
}

/** `x.y`, `x[y]`, `x(…)`, `typeof x`: uses that the other rules see through (not an alias of `x`). */
export function isAccessedOrCalled(node: ts.Identifier): boolean {
  const parent = node.parent;
  if ((ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) && parent.expression === node) return true;
  if (ts.isCallExpression(parent) && parent.expression === node) return true;
  if (ts.isTypeOfExpression(parent)) return true;
  // the object of a destructuring (`const { env } = process`) is checked element by element
  if (ts.isVariableDeclaration(parent) && parent.initializer === node && ts.isObjectBindingPattern(parent.name)) return true;
  return false;
}

/** Whether an identifier is read as a value (not a declaration, property name or type). */
export function isValueReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isQualifiedName(parent)) return false;
  if (ts.isTypeReferenceNode(parent) || ts.isTypeQueryNode(parent) || ts.isExpressionWithTypeArguments(parent)) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessor(parent) ||
      ts.isSetAccessor(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isFunctionExpression(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isInterfaceDeclaration(parent) ||
      ts.isTypeAliasDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isBindingElement(parent) ||
      ts.isImportSpecifier(parent) ||
      ts.isExportSpecifier(parent) ||
      ts.isImportClause(parent) ||
      ts.isNamespaceImport(parent) ||
      ts.isLabeledStatement(parent)) &&
    (parent as { name?: ts.Node }).name === node
  ) {
    return false;
  }
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  if ((ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) && parent.propertyName === node) return false;
  return true;
}

export function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** The property name of `a.b` or `a['b']` (literal keys only). */
export function accessedName(node: ts.Node): string | undefined {
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) return node.argumentExpression.text;
  return undefined;
}

/** `process` or `globalThis.process` (and the other global object names): the text to print, else undefined. */
export function processReference(expression: ts.Expression): string | undefined {
  const target = skipParens(expression);
  if (ts.isIdentifier(target) && target.text === 'process') return 'process';
  if ((ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) && accessedName(target) === 'process' && isGlobalObject(target.expression)) {
    return `${(skipParens(target.expression) as ts.Identifier).text}.process`;
  }
  return undefined;
}

export function isRequireCallee(callee: ts.Expression): boolean {
  return (
    (ts.isIdentifier(callee) && callee.text === 'require') ||
    (ts.isPropertyAccessExpression(callee) && callee.name.text === 'require' && ts.isIdentifier(callee.expression) && callee.expression.text === 'module')
  );
}

export interface ModuleReference {
  /** The node to report at (the specifier literal, or the whole expression when it is computed). */
  node: ts.Node;
  /** The literal specifier, undefined when computed. */
  specifier?: string;
  typeOnly: boolean;
  kind: 'import' | 'require' | 'dynamic-import';
}

/** The module a node loads, if it is an import/export declaration, `import x = require()`, `require()` or `import()`. */
export function moduleReference(node: ts.Node): ModuleReference | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
    return { node: node.moduleSpecifier, specifier: node.moduleSpecifier.text, typeOnly: isTypeOnlyImport(node), kind: 'import' };
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    const expression = node.moduleReference.expression;
    if (ts.isStringLiteralLike(expression)) return { node: expression, specifier: expression.text, typeOnly: node.isTypeOnly, kind: 'require' };
    return { node, typeOnly: false, kind: 'require' };
  }
  if (ts.isCallExpression(node)) {
    const callee = skipParens(node.expression);
    const first = node.arguments[0];
    if (callee.kind === ts.SyntaxKind.ImportKeyword) {
      if (first && ts.isStringLiteralLike(first)) return { node: first, specifier: first.text, typeOnly: false, kind: 'dynamic-import' };
      return { node, typeOnly: false, kind: 'dynamic-import' };
    }
    if (isRequireCallee(callee)) {
      if (first && ts.isStringLiteralLike(first) && node.arguments.length === 1) return { node: first, specifier: first.text, typeOnly: false, kind: 'require' };
      return { node, typeOnly: false, kind: 'require' };
    }
  }
  return undefined;
}

/** Whether a string literal is the specifier of an import/require (not data). */
export function isModuleSpecifier(node: ts.Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (ts.isExternalModuleReference(parent)) return true;
  const reference = moduleReference(parent);
  return reference?.node === node;
}
