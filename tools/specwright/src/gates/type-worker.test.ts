import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive } from '../mutex';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { TypeCheckWorker } from './type-worker';
import { InProcessTypeChecks } from './type-worker-main';
import { WorkspaceTypeService } from './type-service';
import { typecheckSubjectOf } from './types';

let ws: FixtureWorkspace;
let local: InProcessTypeChecks;

beforeAll(() => {
  ws = createFixtureWorkspace();
  local = new InProcessTypeChecks(new WorkspaceTypeService(ws.root));
});

afterAll(async () => {
  local.service.dispose();
  await ws.cleanup();
});

async function gone(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 5000 && alive(pid); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  return !alive(pid);
}

describe('type-check process', () => {
  it('answers in a process of its own what the checks in this process answer, and ends with the session', async () => {
    const worker = new TypeCheckWorker(ws.root);
    try {
      const broken = typecheckSubjectOf(ws.input('money/allocate', 'type-error'));
      const good = typecheckSubjectOf(ws.input('money/core', 'good'));
      const [remote, together] = await Promise.all([worker.check(broken), worker.checkTogether([broken, good])]);
      expect(remote).toEqual(await local.check(broken));
      expect(remote.map((finding) => finding.message)).toEqual(["libs/money/src/allocate.ts:14:7 TS2322 Type 'string' is not assignable to type 'number'."]);
      expect(together).toEqual(await local.checkTogether([broken, good]));
      const pid = worker.pid!;
      expect(pid).not.toBe(process.pid);
      expect(worker.started).toBe(1);
      await worker.dispose();
      expect(await gone(pid)).toBe(true);
    } finally {
      await worker.dispose();
    }
  }, 60_000);

  it('fails the checks in flight when the process dies, and starts a new one for the next check', async () => {
    const worker = new TypeCheckWorker(ws.root);
    try {
      const subject = typecheckSubjectOf(ws.input('money/allocate', 'good'));
      const inFlight = worker.check(subject);
      process.kill(worker.pid!, 'SIGKILL');
      await expect(inFlight).rejects.toThrow(/the type-check process exited \(SIGKILL\)/);
      expect(await worker.check(subject)).toEqual([]);
      expect(worker.started).toBe(2);
    } finally {
      await worker.dispose();
    }
  }, 60_000);
});
