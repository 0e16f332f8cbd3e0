import type { ExecutorContext } from '@nx/devkit';
import type { GateRunnerHandle } from '../../gate-runner';
import { verifySpecs } from '../../verify';
import { batchExecutor, Lazy, singleTaskExecutor, type TaskBody } from '../batch';
import { resolveExecutorInvocation, specIds } from '../../entry';
import type { CommonExecutorOptions } from '../context';

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

const verifyTask: TaskBody<CommonExecutorOptions, Shared> = async (rawOptions, context, shared, log) => {
  const { workspaceRoot, project, dependencies, options, flags } = resolveExecutorInvocation<CommonExecutorOptions>(rawOptions, context);
  const result = await verifySpecs({
    workspaceRoot,
    projects: [project],
    dependencyProjects: dependencies,
    options,
    gates: (await shared.gates.get()).run,
    only: specIds(flags.spec),
    log,
    concurrency: options.concurrency,
  });
  return result.ok;
};

export default singleTaskExecutor(createShared, verifyTask);
export const batch = batchExecutor(createShared, verifyTask);
