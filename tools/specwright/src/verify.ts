import pLimit from 'p-limit';
import { join } from 'node:path';
import { describeError } from './errors';
import { readTextIfExists } from './fs-utils';
import { formatFeedback } from './feedback';
import { generateFix } from './fix-commands';
import type { GateRunner } from './generate';
import { loadSpecs, type ProjectRef, type SpecFailure } from './load';
import type { NormalizedOptions } from './options';
import type { GateVerdict } from './types';

export interface VerifyRequest {
  workspaceRoot: string;
  projects: ProjectRef[];
  dependencyProjects?: ProjectRef[];
  options: NormalizedOptions;
  gates: GateRunner;
  only?: string[];
  concurrency?: number;
  log?: (line: string) => void;
}

export interface SpecVerification {
  id: string;
  file: string;
  ok: boolean;
  verdicts: GateVerdict[];
  message?: string;
}

export interface VerifyResult {
  ok: boolean;
  specs: SpecVerification[];
  failures: SpecFailure[];
}

/**
 * Runs every gate on the committed generated files, with no model: for CI (`nx affected -t verify-spec`) and for
 * people who changed a spec's examples or tests and want to know whether the code still holds.
 */
export async function verifySpecs(request: VerifyRequest): Promise<VerifyResult> {
  const log = request.log ?? ((line: string) => console.log(line));
  const { workspaceRoot } = request;
  // The committed outputs are run like any candidate (a commit made with --no-verify can carry anything): say which
  // isolation is in force, and refuse before running anything when strong isolation is required and missing.
  const { isolationNotice, strongIsolationRequired } = await import('./gates/sandbox/isolation');
  log(isolationNotice(strongIsolationRequired(request.options.requireStrongIsolation)));
  const loaded = loadSpecs(workspaceRoot, [...request.projects, ...(request.dependencyProjects ?? [])], request.options);
  const roots = new Set(request.projects.map((project) => project.root));
  const specsById = new Map(loaded.specs.map((spec) => [spec.spec.id, spec]));
  const only = request.only ?? [];
  const own = loaded.specs.filter((spec) => roots.has(spec.projectRoot) && (only.length === 0 || only.includes(spec.spec.id)));
  const failures = loaded.failures.filter((failure) => [...roots].some((root) => root === '.' || failure.file.startsWith(`${root}/`)));
  const limit = pLimit(Math.max(1, request.concurrency ?? 2));

  const committed = own.map((spec) => {
    const files = new Map<string, string>();
    const missing = spec.outputFiles.filter((file) => {
      const content = readTextIfExists(join(workspaceRoot, file));
      if (content !== undefined) files.set(file, content);
      return content === undefined;
    });
    return { spec, files, missing };
  });
  // One vitest run per project for the tests of all its specs (the committed outputs sit side by side anyway),
  // instead of one vitest start-up per spec; results are split back per spec by test file.
  // (loaded here, not at the top: the gates pull in TypeScript, which the CLI's other commands never need)
  // Likewise one type-check program per project instead of one per spec (types-batch.ts).
  const [{ TestsBatch }, { TypesBatch }] = await Promise.all([import('./gates/tests'), import('./gates/types-batch')]);
  const complete = committed.filter((entry) => entry.missing.length === 0);
  const testsBatch = new TestsBatch(complete);
  const typesBatch = new TypesBatch(complete);

  const specs = await Promise.all(
    committed.map(({ spec, files, missing }) =>
      limit(async (): Promise<SpecVerification> => {
        if (missing.length > 0) {
          return { id: spec.spec.id, file: spec.file, ok: false, verdicts: [], message: `missing ${missing.join(', ')}; run \`${generateFix(request.options, { project: spec.project, spec: spec.spec.id })}\`` };
        }
        try {
          const verdicts = await request.gates({ spec, files, specsById, testsBatch, typesBatch });
          const failed = verdicts.filter((verdict) => !verdict.ok && !verdict.skipped);
          const result: SpecVerification = { id: spec.spec.id, file: spec.file, ok: failed.length === 0, verdicts };
          if (failed.length > 0) result.message = formatFeedback(verdicts);
          return result;
        } catch (error) {
          return { id: spec.spec.id, file: spec.file, ok: false, verdicts: [], message: describeError(error) };
        }
      }),
    ),
  );

  for (const spec of specs) {
    const gates = spec.verdicts.map((verdict) => `${verdict.gate} ${verdict.skipped ? 'skip' : verdict.ok ? 'pass' : 'FAIL'}${verdict.ms !== undefined ? ` (${Math.round(verdict.ms)} ms)` : ''}`).join(', ');
    log(`${spec.ok ? 'ok  ' : 'FAIL'} ${spec.id.padEnd(28)} ${gates}`);
    if (spec.message) log(`  ${spec.file}:\n  ${spec.message.split('\n').join('\n  ')}`);
  }
  for (const failure of failures) log(failure.error.format());
  const ok = failures.length === 0 && specs.every((spec) => spec.ok);
  log(`\nSpecwright verify: ${specs.filter((s) => s.ok).length} passed, ${specs.filter((s) => !s.ok).length + failures.length} failed`);
  return { ok, specs, failures };
}
