import { runCiCheck } from '../../review/ci-check';
import { runReview } from '../../review/review';
import { batchExecutor, singleTaskExecutor, type SharedState, type TaskBody } from '../batch';
import { pluginOptionsOf, projectsOf, type CommonExecutorOptions } from '../context';

export interface ReviewSpecExecutorOptions extends CommonExecutorOptions {
  check?: boolean;
  approve?: boolean;
  prune?: boolean;
  files?: string | string[];
}

/** Review shares nothing expensive across projects: each task reads its own locks and the policy. */
const createShared = (): SharedState => ({ dispose: async () => {} });

/**
 * `nx review-spec <project>`: the review of one project's generated outputs (interactive on a TTY, `--approve` for
 * scripts), or with `--check` the CI backstop for it, so `nx affected -t review-spec --check` checks what changed.
 */
const reviewTask: TaskBody<ReviewSpecExecutorOptions, SharedState> = async (options, context, _shared, log) => {
  const { project, dependencies } = projectsOf(context);
  const { check, approve, prune, files, ...rest } = options;
  const pluginOptions = pluginOptionsOf(rest);
  if (check) {
    const result = await runCiCheck({ workspaceRoot: context.root, projects: [project], dependencyProjects: dependencies, options: pluginOptions, log });
    return result.ok;
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
    log,
  });
  return code === 0;
};

export default singleTaskExecutor(createShared, reviewTask);
/** Batches are for `--check` and `--approve` (Nx runs them only with `--batch`): a batch never asks questions. */
export const batch = batchExecutor(createShared, reviewTask);
