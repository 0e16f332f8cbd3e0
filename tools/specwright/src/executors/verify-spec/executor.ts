import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../errors';
import { createGateRunner } from '../../gate-runner';
import { verifySpecs } from '../../verify';
import { pluginOptionsOf, projectsOf, specIds, type CommonExecutorOptions } from '../context';

export default async function verifySpecExecutor(options: CommonExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const { project, dependencies } = projectsOf(context);
  const gates = await createGateRunner(context.root);
  try {
    const result = await verifySpecs({
      workspaceRoot: context.root,
      projects: [project],
      dependencyProjects: dependencies,
      options: pluginOptionsOf(options),
      gates: gates.run,
      only: specIds(options.spec),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    });
    return { success: result.ok };
  } catch (error) {
    console.error(describeError(error));
    return { success: false };
  } finally {
    await gates.dispose();
  }
}
