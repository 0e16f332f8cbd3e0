import type { Tree } from '@nx/devkit';
import { SpecwrightError } from '../../errors';
import { proposeDrafts } from '../../decompose/commands';
import { formatDraftTree } from '../../decompose/tree';
import type { ParsedSpec } from '../../types';

export interface DecomposeGeneratorOptions {
  feature?: string;
  text?: string;
  project: string | string[];
}

/**
 * `nx g @specwright/nx:decompose --feature specs/features/x.md --project money`: the same decomposition as
 * `specwright decompose`, with the drafts written through the Tree, so Nx lists them and `--dry-run` writes nothing.
 */
export default async function decomposeGenerator(tree: Tree, options: DecomposeGeneratorOptions): Promise<void> {
  if ((options.feature === undefined) === (options.text === undefined)) {
    throw new SpecwrightError('decompose needs one feature: --feature <file> or --text "<description>"', { fix: 'nx g @specwright/nx:decompose --feature specs/features/currency-conversion.md --project money', code: 'USAGE' });
  }
  const feature = options.feature !== undefined ? tree.read(options.feature, 'utf-8') : options.text;
  if (feature === null || feature === undefined) throw new SpecwrightError(`feature file ${options.feature} does not exist`, { fix: 'pass a workspace-relative path', code: 'USAGE' });
  const projects = Array.isArray(options.project) ? options.project : [options.project];
  const { result, loaded } = await proposeDrafts(tree.root, { feature, source: options.feature ?? 'text', projects });
  if (!result.ok) {
    throw new SpecwrightError(`decompose failed after ${result.attempts} attempt(s): ${result.error ?? ''}\n  - ${result.findings.join('\n  - ')}`, { fix: 'reword the feature, or use a stronger model', code: 'DECOMPOSE_FAILED' });
  }
  for (const draft of result.drafts) tree.write(draft.file, draft.content);
  const all = new Map<string, ParsedSpec>(loaded.specs.map((spec) => [spec.spec.id, spec]));
  for (const draft of result.drafts) all.set(draft.spec.spec.id, draft.spec);
  console.log(formatDraftTree(result.drafts.map((draft) => draft.spec), all));
}
