import type { ExecutorContext, Task, TaskGraph } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { runBatch, type BatchTaskOutcome, type SharedState } from './batch';

function task(project: string): Task {
  return { id: `${project}:generate-from-spec`, target: { project, target: 'generate-from-spec' }, overrides: {}, outputs: [], parallelism: true } as unknown as Task;
}

/** lib-a ← app (app depends on lib-a), lib-b alone. */
function graph(): TaskGraph {
  const tasks = Object.fromEntries(['lib-a', 'lib-b', 'app'].map((project) => [`${project}:generate-from-spec`, task(project)]));
  return {
    roots: ['lib-a:generate-from-spec', 'lib-b:generate-from-spec'],
    tasks,
    dependencies: { 'lib-a:generate-from-spec': [], 'lib-b:generate-from-spec': [], 'app:generate-from-spec': ['lib-a:generate-from-spec'] },
    continuousDependencies: {},
  } as unknown as TaskGraph;
}

const context = { root: '/ws', cwd: '/ws', isVerbose: false, projectsConfigurations: { version: 2, projects: {} }, nxJsonConfiguration: {} } as unknown as ExecutorContext;

async function collect(iterator: AsyncGenerator<{ task: string; result: BatchTaskOutcome }>) {
  const results: { task: string; result: BatchTaskOutcome }[] = [];
  for await (const result of iterator) results.push(result);
  return results;
}

function trackingShared(): SharedState & { disposed: number } {
  const shared = { disposed: 0, dispose: async () => void shared.disposed++ };
  return shared;
}

describe('runBatch', () => {
  it('runs each task with its own project context and output, dependencies first, and disposes the shared state once', async () => {
    const started: string[] = [];
    const shared = trackingShared();
    const results = await collect(
      runBatch(graph(), {}, context, shared, async (_options, taskContext, _shared, log) => {
        started.push(taskContext.projectName as string);
        await new Promise((resolve) => setTimeout(resolve, taskContext.projectName === 'lib-a' ? 20 : 1));
        log(`checked ${taskContext.projectName}`);
        return true;
      }),
    );
    expect(results.map((r) => r.task).sort()).toEqual(['app:generate-from-spec', 'lib-a:generate-from-spec', 'lib-b:generate-from-spec']);
    expect(started.indexOf('app')).toBeGreaterThan(started.indexOf('lib-a'));
    const app = results.find((r) => r.task === 'app:generate-from-spec')?.result;
    expect(app).toMatchObject({ success: true, status: 'success', terminalOutput: 'checked app\n' });
    expect(shared.disposed).toBe(1);
  });

  it('runs independent tasks at the same time, never more than the parallelism', async () => {
    let running = 0;
    let peak = 0;
    await collect(
      runBatch(graph(), {}, context, trackingShared(), async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
        return true;
      }, 2),
    );
    expect(peak).toBe(2);
  });

  it('a failed task fails alone; what depends on it is skipped with the reason; a thrown error becomes its output', async () => {
    const ran: string[] = [];
    const results = await collect(
      runBatch(graph(), {}, context, trackingShared(), async (_options, taskContext) => {
        ran.push(taskContext.projectName as string);
        if (taskContext.projectName === 'lib-a') throw new Error('lib-a/spec.spec.yaml:3:1: broken');
        return true;
      }),
    );
    const byTask = Object.fromEntries(results.map((r) => [r.task, r.result]));
    expect(byTask['lib-a:generate-from-spec']).toMatchObject({ success: false, status: 'failure' });
    expect(byTask['lib-a:generate-from-spec']?.terminalOutput).toContain('lib-a/spec.spec.yaml:3:1: broken');
    expect(byTask['lib-b:generate-from-spec']).toMatchObject({ success: true, status: 'success' });
    expect(byTask['app:generate-from-spec']).toMatchObject({ success: false, status: 'skipped' });
    expect(byTask['app:generate-from-spec']?.terminalOutput).toContain('lib-a:generate-from-spec did not succeed');
    expect(ran).not.toContain('app');
  });
});
