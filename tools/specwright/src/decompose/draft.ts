import type { ParsedSpec } from '../types';

/**
 * One source of truth for what a draft is and what to do about it. A draft is a spec that a person has not
 * accepted yet (`draft: true`, written by `specwright decompose`): the generator refuses it, the pre-commit hook
 * refuses its outputs, and `review` lists it in the proposed tree.
 */
export function isDraft(spec: Pick<ParsedSpec, 'spec'>): boolean {
  return spec.spec.draft === true;
}

export function draftAcceptFix(file: string): string {
  return `review ${file} (contracts, examples, the tests it lists; \`npx specwright lint\` shows what is vague), then delete its \`draft: true\` line, or run \`npx specwright decompose --accept ${file}\``;
}

export function draftRefusal(spec: Pick<ParsedSpec, 'spec' | 'file'>): string {
  return `spec "${spec.spec.id}" is a draft (draft: true): drafts are proposals and are never generated; ${draftAcceptFix(spec.file)}`;
}
