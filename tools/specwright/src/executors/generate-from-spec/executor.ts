import type { ExecutorContext } from '@nx/devkit';
import type { GateRunnerHandle } from '../../gate-runner';
import { runPipeline, type RunMode } from '../../run';
import { batchExecutor, Lazy, singleTaskExecutor, type TaskBody } from '../batch';
import { pluginOptionsOf, projectsOf, specIds, type CommonExecutorOptions } from '../context';

export interface GenerateFromSpecExecutorOptions extends CommonExecutorOptions {
  check?: boolean;
  dryRun?: boolean;
  force?: boolean;
  noGates?: boolean;
}

/** One gate session for every writing task of a run (a batch shares it across projects). */
interface Shared {
  gates: Lazy<GateRunnerHandle>;
  dispose(): Promise<void>;
}

function createShared(context: ExecutorContext): Shared {
  // The gates load TypeScript and vitest; only a writing run needs them, so --check stays cheap.
  const gates = new Lazy(
    async () => (await import('../../gate-runner')).createGateRunner(context.root),
    (handle) => handle.dispose(),
  );
  return { gates, dispose: () => gates.dispose() };
}

const generateTask: TaskBody<GenerateFromSpecExecutorOptions, Shared> = async (options, context, shared, log) => {
  const { project, dependencies } = projectsOf(context);
  const mode: RunMode = options.check ? 'check' : options.dryRun ? 'dry-run' : 'write';
  const gates = mode === 'write' && !options.noGates ? await shared.gates.get() : undefined;
  const result = await runPipeline({
    workspaceRoot: context.root,
    projects: [project],
    dependencyProjects: dependencies,
    options: pluginOptionsOf(options),
    mode,
    force: !!options.force,
    only: specIds(options.spec),
    log,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(gates ? { gates: gates.run } : {}),
  });
  return result.ok;
};

export default singleTaskExecutor(createShared, generateTask);
export const batch = batchExecutor(createShared, generateTask);
