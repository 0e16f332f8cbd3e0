/** Recognising hard-coded secrets: known token shapes, and high-entropy strings assigned to secret-sounding names. */
import ts from 'typescript';

export const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\bsk-(?:proj-|live_|test_|ant-)?[A-Za-z0-9_-]{20,}/, 'an API key (sk-…)'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id (AKIA…)'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/, 'a GitHub token'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----/, 'a private key'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'a JSON Web Token'],
];
export const SECRET_NAME_WORDS = new Set([
  'key', 'apikey', 'secret', 'token', 'password', 'passwd', 'pwd', 'passphrase', 'credential', 'credentials', 'auth', 'bearer',
]);

/** The name a string literal is assigned to: `const apiKey = '…'`, `{ token: '…' }`, `x.secret = '…'`, `(pwd = '…')`. */
export function assignedName(node: ts.Node): string | undefined {
  const parent = node.parent;
  if (!parent) return undefined;
  const nameOf = (name: ts.Node | undefined): string | undefined =>
    name && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)) ? name.text : undefined;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isParameter(parent)) && parent.initializer === node) {
    return nameOf(parent.name);
  }
  if (ts.isPropertyAssignment(parent) && parent.initializer === node) return nameOf(parent.name);
  if (ts.isBindingElement(parent) && parent.initializer === node) return nameOf(parent.name);
  if (ts.isBinaryExpression(parent) && parent.right === node && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = parent.left;
    if (ts.isIdentifier(left)) return left.text;
    if (ts.isPropertyAccessExpression(left)) return left.name.text;
    if (ts.isElementAccessExpression(left) && ts.isStringLiteralLike(left.argumentExpression)) return left.argumentExpression.text;
  }
  return undefined;
}

export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_\-.$]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
  return words.some((w) => SECRET_NAME_WORDS.has(w));
}

function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** Long, token-shaped (no spaces, mixed character classes) and high-entropy. */
export function looksLikeToken(text: string): boolean {
  if (text.length < 16 || text.length > 4096) return false;
  if (!/^[A-Za-z0-9_\-+/=.~]+$/.test(text)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(text)).length;
  if (classes < 2) return false;
  return shannonEntropy(text) >= 3.3;
}

export function redact(secret: string): string {
  return secret.length <= 8 ? '…' : `${secret.slice(0, 4)}…${secret.length} chars`;
}

