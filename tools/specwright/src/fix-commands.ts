import type { NormalizedOptions } from './options';

/**
 * The commands Specwright prints as the fix for a problem. One place builds them, because the Nx target names are
 * configurable (`generateTargetName`, `verifyTargetName`, `reviewTargetName` in nx.json): a fix that names the
 * default target in a workspace that renamed it would send people to a target that does not exist.
 */

export type TargetNames = Pick<NormalizedOptions, 'generateTargetName' | 'verifyTargetName' | 'reviewTargetName'>;

export interface GenerateFix {
  /** The Nx project; every project when absent. */
  project?: string;
  /** One spec of the project. */
  spec?: string;
  /** Regenerate even fresh specs and overwrite hand edits (after a backup). */
  force?: boolean;
  /** List what is out of date without calling a model. */
  check?: boolean;
}

/** `nx <generate target> [project] [--spec id] [--force|--check]`: regenerates (or checks) through Nx. */
export function generateFix(names: TargetNames, fix: GenerateFix = {}): string {
  const project = fix.project ? ` ${fix.project}` : '';
  const spec = fix.spec ? ` --spec ${fix.spec}` : '';
  const flag = fix.force ? ' --force' : fix.check ? ' --check' : '';
  return `nx ${names.generateTargetName}${project}${spec}${flag}`;
}

/** `nx <verify target> [project]`: runs every gate on the committed outputs. */
export function verifyFix(names: TargetNames, project?: string): string {
  return `nx ${names.verifyTargetName}${project ? ` ${project}` : ''}`;
}

/** `npx specwright review <file>`: shows the diff and records the approval in the lock. */
export function reviewFix(file: string): string {
  return `npx specwright review ${file}`;
}
