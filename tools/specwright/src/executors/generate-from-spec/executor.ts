import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../errors';
import { runPipeline, type RunMode } from '../../run';
import { pluginOptionsOf, projectsOf, specIds, type CommonExecutorOptions } from '../context';

export interface GenerateFromSpecExecutorOptions extends CommonExecutorOptions {
  check?: boolean;
  dryRun?: boolean;
  force?: boolean;
  noGates?: boolean;
  /** Spec ids whose behaviour may differ from the reviewed version in this run (recorded in the lock). */
  acceptBehaviourChange?: string | string[];
}

export default async function generateFromSpecExecutor(options: GenerateFromSpecExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const { project, dependencies } = projectsOf(context);
  const mode: RunMode = options.check ? 'check' : options.dryRun ? 'dry-run' : 'write';
  const pluginOptions = pluginOptionsOf(options);
  // The gates load TypeScript and vitest; only a writing run needs them, so --check stays cheap.
  const gates = mode === 'write' && !options.noGates ? await (await import('../../gate-runner')).createGateRunner(context.root, { acceptBehaviourChange: specIds(options.acceptBehaviourChange) }) : undefined;
  try {
    const result = await runPipeline({
      workspaceRoot: context.root,
      projects: [project],
      dependencyProjects: dependencies,
      options: pluginOptions,
      mode,
      force: !!options.force,
      only: specIds(options.spec),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(gates ? { gates: gates.run } : {}),
    });
    return { success: result.ok };
  } catch (error) {
    console.error(describeError(error));
    return { success: false };
  } finally {
    await gates?.dispose();
  }
}
