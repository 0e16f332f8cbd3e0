import type { ExecutorContext } from '@nx/devkit';
import type { GateRunnerHandle } from '../../gate-runner';
import { runPipeline, sinkFor } from '../../run';
import { batchExecutor, Lazy, singleTaskExecutor, type TaskBody } from '../batch';
import { executorPipelineFlags, resolveExecutorInvocation } from '../../entry';
import type { CommonExecutorOptions } from '../context';

export interface GenerateFromSpecExecutorOptions extends CommonExecutorOptions {
  check?: boolean;
  dryRun?: boolean;
  force?: boolean;
  noGates?: boolean;
  /** Spec ids whose behaviour may differ from the reviewed version in this run (recorded in the lock). */
  acceptBehaviourChange?: string | string[];
}

/**
 * One gate session for every writing task of a run (a batch shares it across projects). The session holds the
 * specs whose behaviour change is accepted, so tasks asking for different ones get sessions of their own.
 */
interface Shared {
  gatesFor(acceptBehaviourChange: string[]): Promise<GateRunnerHandle>;
  dispose(): Promise<void>;
}

function createShared(context: ExecutorContext): Shared {
  const sessions = new Map<string, Lazy<GateRunnerHandle>>();
  return {
    gatesFor(acceptBehaviourChange) {
      const key = [...acceptBehaviourChange].sort().join(',');
      let session = sessions.get(key);
      if (!session) {
        // The gates load TypeScript and vitest; only a writing run needs them, so --check stays cheap.
        session = new Lazy(
          async () => (await import('../../gate-runner')).createGateRunner(context.root, { acceptBehaviourChange }),
          (handle) => handle.dispose(),
        );
        sessions.set(key, session);
      }
      return session.get();
    },
    dispose: async () => void (await Promise.all([...sessions.values()].map((session) => session.dispose()))),
  };
}

const generateTask: TaskBody<GenerateFromSpecExecutorOptions, Shared> = async (rawOptions, context, shared, log) => {
  const { workspaceRoot, project, dependencies, options, flags } = resolveExecutorInvocation<GenerateFromSpecExecutorOptions>(rawOptions, context);
  const run = executorPipelineFlags(flags);
  const gates = run.mode === 'write' && run.gates ? await shared.gatesFor(run.acceptBehaviourChange) : undefined;
  const result = await runPipeline({
    workspaceRoot,
    projects: [project],
    dependencyProjects: dependencies,
    options,
    sink: sinkFor(run.mode),
    force: run.force,
    only: run.only,
    log,
    ...(gates ? { gates: gates.run } : {}),
  });
  return result.ok;
};

export default singleTaskExecutor(createShared, generateTask);
export const batch = batchExecutor(createShared, generateTask);
