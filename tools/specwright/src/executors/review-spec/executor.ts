import { runCiCheck } from '../../review/ci-check';
import { runReview } from '../../review/review';
import { batchExecutor, singleTaskExecutor, type SharedState, type TaskBody } from '../batch';
import { resolveExecutorInvocation } from '../../entry';
import type { CommonExecutorOptions } from '../context';

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
const reviewTask: TaskBody<ReviewSpecExecutorOptions, SharedState> = async (rawOptions, context, _shared, log) => {
  const { workspaceRoot, project, dependencies, options, flags } = resolveExecutorInvocation<ReviewSpecExecutorOptions>(rawOptions, context);
  if (flags.check) {
    const result = await runCiCheck({ workspaceRoot, projects: [project], dependencyProjects: dependencies, options, log });
    return result.ok;
  }
  const { files } = flags;
  const code = await runReview({
    workspaceRoot,
    cwd: context.cwd ?? process.cwd(),
    projects: [project],
    dependencyProjects: dependencies,
    options,
    paths: files === undefined ? [] : Array.isArray(files) ? files : String(files).split(','),
    mode: flags.approve ? 'approve' : 'auto',
    prune: !!flags.prune,
    log,
  });
  return code === 0;
};

export default singleTaskExecutor(createShared, reviewTask);
/** Batches are for `--check` and `--approve` (Nx runs them only with `--batch`): a batch never asks questions. */
export const batch = batchExecutor(createShared, reviewTask);
