/**
 * Child-process helper of the process-fault tests (test/faults-process.test.ts), run as
 * `node -r @swc-node/register test/crash-generate.ts <mode> …`. Modes:
 *
 *   generate <workspace> <tag> [delayMs] [lockWaitMs] [bytes]
 *       A real writing run (runPipeline, mode write, no gates) over project libs/demo, with an in-process model
 *       that answers every spec with version <tag> of its outputs. Prints READY just before the pipeline starts,
 *       ASKED at the first model request (the writes follow) and `DONE <ok> <calls>` at the end; a thrown error is
 *       printed (formatted) on stderr with exit code 3.
 *
 *   lock <workspace> <startAtMs> <holdMs> <logFile>
 *       Waits until the wall clock reaches startAtMs, takes the project run lock of libs/demo and holds it for
 *       holdMs, appending `enter <pid> <t>` / `exit <pid> <t>` lines to logFile: several of these at once show
 *       whether two holders ever overlap.
 */
import { appendFileSync } from 'node:fs';
import { describeError } from '../src/errors';
import { withProjectRunLock } from '../src/mutex';
import { DEMO, localProvider, runDemo, versionedSource } from './crash-support';

async function main(argv: string[]): Promise<number> {
  const [mode, workspaceRoot, ...rest] = argv;
  if (!workspaceRoot) throw new Error('usage: crash-generate.ts generate|lock <workspace> …');
  if (mode === 'generate') {
    const [tag = 'new', delay = '0', lockWait = '60000', bytes = '0'] = rest;
    const inner = localProvider((specId, output) => versionedSource(specId, output, tag, Number(bytes)), Number(delay));
    // ASKED marks the first model request: the writes start right after the first answer.
    const provider = {
      ...inner,
      get calls() {
        return inner.calls;
      },
      complete(request: Parameters<typeof inner.complete>[0]) {
        if (inner.calls === 0) process.stdout.write('ASKED\n');
        return inner.complete(request);
      },
    };
    process.stdout.write('READY\n');
    const result = await runDemo(workspaceRoot, { provider, concurrency: 4, lockWaitMs: Number(lockWait) });
    process.stdout.write(`DONE ${result.ok} ${provider.calls}\n`);
    return result.ok ? 0 : 1;
  }
  if (mode === 'lock') {
    const [startAt = '0', hold = '100', logFile = ''] = rest;
    while (Date.now() < Number(startAt)) {
      // Spin, so that every helper asks for the lock in the same millisecond.
    }
    await withProjectRunLock(workspaceRoot, DEMO.root, 20_000, async () => {
      appendFileSync(logFile, `enter ${process.pid} ${performance.timeOrigin + performance.now()}\n`);
      await new Promise((resolve) => setTimeout(resolve, Number(hold)));
      appendFileSync(logFile, `exit ${process.pid} ${performance.timeOrigin + performance.now()}\n`);
    });
    return 0;
  }
  throw new Error(`unknown mode ${mode}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = 3;
  },
);
