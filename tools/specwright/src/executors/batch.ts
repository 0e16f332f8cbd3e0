import type { ExecutorContext, Task, TaskGraph } from '@nx/devkit';
import { describeError } from '../errors';

/** What one task of a batch reports back to Nx (the shape of Nx's `TaskResult`, with the explicit status). */
export interface BatchTaskOutcome {
  success: boolean;
  status: 'success' | 'failure' | 'skipped';
  terminalOutput: string;
  startTime: number;
  endTime: number;
}

/**
 * One task's work: the same code whether Nx runs the task alone or in a batch. It writes its lines to `log` (in a
 * batch they become that task's terminal output, cached and replayed by Nx per task) and answers whether it
 * succeeded. `shared` is what a batch keeps across its tasks.
 */
export type TaskBody<Options, Shared> = (options: Options, context: ExecutorContext, shared: Shared, log: (line: string) => void) => Promise<boolean>;

/** Something expensive (one gate session: a TypeScript service, ajv …) made on first use and shared after that. */
export class Lazy<T> {
  private made: Promise<T> | undefined;
  constructor(
    private readonly make: () => Promise<T>,
    private readonly release: (value: T) => Promise<void>,
  ) {}
  get(): Promise<T> {
    return (this.made ??= this.make());
  }
  async dispose(): Promise<void> {
    if (this.made) await this.release(await this.made);
  }
}

/** State a batch shares across its tasks; disposed once, when the batch is over. */
export interface SharedState {
  dispose(): Promise<void>;
}

/** The single-task executor Nx calls without batching: the body with state of its own and the console as log. */
export function singleTaskExecutor<Options, Shared extends SharedState>(createShared: (context: ExecutorContext) => Shared, body: TaskBody<Options, Shared>) {
  return async (options: Options, context: ExecutorContext): Promise<{ success: boolean }> => {
    const shared = createShared(context);
    try {
      return { success: await body(options, context, shared, (line) => console.log(line)) };
    } catch (error) {
      console.error(describeError(error));
      return { success: false };
    } finally {
      await shared.dispose();
    }
  };
}

/** The batch implementation Nx calls with every task of a run that uses this executor. */
export function batchExecutor<Options, Shared extends SharedState>(createShared: (context: ExecutorContext) => Shared, body: TaskBody<Options, Shared>) {
  return (taskGraph: TaskGraph, inputs: Record<string, Options>, _overrides: Options, context: ExecutorContext) => runBatch(taskGraph, inputs, context, createShared(context), body);
}

/** How many tasks of a batch run at once: Nx's own default `--parallel`. */
export const BATCH_PARALLELISM = 3;

/**
 * Nx's batch mode hands every task of a run that uses one executor to a single process: the Node start-up, the Nx
 * project-graph read and our module loading are paid once per run instead of once per project, and the tasks share
 * one gate session. Each task still has its own context, options and terminal output, so caching and `nx affected`
 * behave as with one process per task. A task starts when the tasks of the batch it depends on have succeeded
 * (`parallelism` at a time, as Nx schedules separate processes); one whose dependency failed is reported as
 * skipped, as Nx does.
 */
export async function* runBatch<Options, Shared extends SharedState>(
  taskGraph: TaskGraph,
  inputs: Record<string, Options>,
  context: ExecutorContext,
  shared: Shared,
  body: TaskBody<Options, Shared>,
  parallelism = BATCH_PARALLELISM,
): AsyncGenerator<{ task: string; result: BatchTaskOutcome }> {
  const waiting = new Set(Object.keys(taskGraph.tasks).sort());
  const succeeded = new Set<string>();
  const unsuccessful = new Set<string>();
  const running = new Map<string, Promise<{ task: string; result: BatchTaskOutcome }>>();
  const dependenciesOf = (id: string): string[] => (taskGraph.dependencies[id] ?? []).filter((dependency) => taskGraph.tasks[dependency]);

  const runOne = async (task: Task): Promise<{ task: string; result: BatchTaskOutcome }> => {
    const startTime = Date.now();
    const lines: string[] = [];
    const log = (line: string): void => void lines.push(line);
    let success: boolean;
    try {
      success = await body(inputs[task.id] as Options, contextFor(context, task), shared, log);
    } catch (error) {
      log(describeError(error));
      success = false;
    }
    const terminalOutput = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    return { task: task.id, result: { success, status: success ? 'success' : 'failure', terminalOutput, startTime, endTime: Date.now() } };
  };

  try {
    while (waiting.size > 0 || running.size > 0) {
      const skippedNow: { task: string; result: BatchTaskOutcome }[] = [];
      for (const id of [...waiting]) {
        const dependencies = dependenciesOf(id);
        const blockedBy = dependencies.filter((dependency) => unsuccessful.has(dependency));
        if (blockedBy.length > 0) {
          waiting.delete(id);
          unsuccessful.add(id);
          const now = Date.now();
          skippedNow.push({ task: id, result: { success: false, status: 'skipped', terminalOutput: `skipped: ${blockedBy.join(', ')} did not succeed; fix that first\n`, startTime: now, endTime: now } });
        } else if (running.size < parallelism && dependencies.every((dependency) => succeeded.has(dependency))) {
          waiting.delete(id);
          running.set(id, runOne(taskGraph.tasks[id] as Task));
        }
      }
      yield* skippedNow;
      if (skippedNow.length > 0) continue; // skipping may unblock or skip more before anything finishes
      if (running.size === 0) break; // only a dependency cycle is left, which Nx refuses before it gets here
      const finished = await Promise.race(running.values());
      running.delete(finished.task);
      (finished.result.success ? succeeded : unsuccessful).add(finished.task);
      yield finished;
    }
  } finally {
    await Promise.allSettled(running.values());
    await shared.dispose();
  }
}

function contextFor(context: ExecutorContext, task: Task): ExecutorContext {
  return {
    ...context,
    projectName: task.target.project,
    targetName: task.target.target,
    ...(task.target.configuration ? { configurationName: task.target.configuration } : {}),
  };
}
