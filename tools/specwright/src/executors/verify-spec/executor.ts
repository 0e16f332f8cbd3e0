import type { ExecutorContext } from '@nx/devkit';
import type { GateRunnerHandle } from '../../gate-runner';
import { verifySpecs } from '../../verify';
import { batchExecutor, Lazy, singleTaskExecutor, type TaskBody } from '../batch';
import { pluginOptionsOf, projectsOf, specIds, type CommonExecutorOptions } from '../context';

/** One gate session for every task of a run: a batch type-checks and stages with one warm TypeScript service. */
interface Shared {
  gates: Lazy<GateRunnerHandle>;
  dispose(): Promise<void>;
}

function createShared(context: ExecutorContext): Shared {
  const gates = new Lazy(
    async () => (await import('../../gate-runner')).createGateRunner(context.root),
    (handle) => handle.dispose(),
  );
  return { gates, dispose: () => gates.dispose() };
}

const verifyTask: TaskBody<CommonExecutorOptions, Shared> = async (options, context, shared, log) => {
  const { project, dependencies } = projectsOf(context);
  const result = await verifySpecs({
    workspaceRoot: context.root,
    projects: [project],
    dependencyProjects: dependencies,
    options: pluginOptionsOf(options),
    gates: (await shared.gates.get()).run,
    only: specIds(options.spec),
    log,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  return result.ok;
};

export default singleTaskExecutor(createShared, verifyTask);
export const batch = batchExecutor(createShared, verifyTask);
