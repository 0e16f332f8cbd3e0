import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../errors';
import { runCiCheck } from '../../review/ci-check';
import { runReview } from '../../review/review';
import { pluginOptionsOf, projectsOf, type CommonExecutorOptions } from '../context';

export interface ReviewSpecExecutorOptions extends CommonExecutorOptions {
  check?: boolean;
  approve?: boolean;
  prune?: boolean;
  files?: string | string[];
}

/**
 * `nx review-spec <project>`: the review of one project's generated outputs (interactive on a TTY, `--approve` for
 * scripts), or with `--check` the CI backstop for it, so `nx affected -t review-spec --check` checks what changed.
 */
export default async function reviewSpecExecutor(options: ReviewSpecExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const { project, dependencies } = projectsOf(context);
  const { check, approve, prune, files, ...rest } = options;
  const pluginOptions = pluginOptionsOf(rest);
  try {
    if (check) {
      const result = await runCiCheck({ workspaceRoot: context.root, projects: [project], dependencyProjects: dependencies, options: pluginOptions });
      return { success: result.ok };
    }
    const code = await runReview({
      workspaceRoot: context.root,
      cwd: context.cwd ?? process.cwd(),
      projects: [project],
      dependencyProjects: dependencies,
      options: pluginOptions,
      paths: files === undefined ? [] : Array.isArray(files) ? files : String(files).split(','),
      mode: approve ? 'approve' : 'auto',
      prune: !!prune,
    });
    return { success: code === 0 };
  } catch (error) {
    console.error(describeError(error));
    return { success: false };
  }
}
