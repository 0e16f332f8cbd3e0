import { posix } from 'node:path';
import { readLock } from '../lock';
import type { ProjectRef } from '../load';
import { provenanceOf, type GeneratedProvenance } from '../attribution/provenance';
import { costOf, type PriceTable } from '../runs/cost';
import { attemptsOf, type AttemptLine } from '../runs/log';
import type { TokenUsage } from '../types';

/**
 * What the reports show, read from the locks (committed: what was generated, by which model, in how many attempts,
 * with which tokens, reviewed by whom), the files (is the content still the reviewed one) and, where it still has
 * them, the run log (the gate verdicts of every attempt).
 */

export interface ReportedSpec {
  project: string;
  specId: string;
  specFile: string;
  model: string;
  provider: string;
  attempts: number;
  usage: TokenUsage;
  cost?: number;
  generatedAt: string;
  runId: string;
  /** Gate → verdict of the accepted (last) attempt, from the lock's history. */
  gates: Record<string, string>;
  /** Every attempt of the run that produced it, when the run log still has it. */
  attemptLog?: AttemptLine[];
  outputs: GeneratedProvenance[];
}

export function collectReport(workspaceRoot: string, projects: readonly ProjectRef[], prices: PriceTable): ReportedSpec[] {
  const specs: ReportedSpec[] = [];
  for (const project of projects) {
    const lock = readLock(workspaceRoot, project.root);
    for (const [specId, entry] of Object.entries(lock.specs).sort(([a], [b]) => a.localeCompare(b))) {
      const generation = entry.generation;
      const last = generation?.history?.[generation.history.length - 1];
      const usage = generation?.usage ?? { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
      const cost = generation?.model ? costOf(prices, generation.model, usage) : undefined;
      const outputs = Object.keys(entry.outputs)
        .sort()
        .map((key) => provenanceOf(workspaceRoot, project.root === '.' ? key : `${project.root}/${key}`))
        .filter((p): p is GeneratedProvenance => p.kind === 'generated');
      const logged = attemptsOf(workspaceRoot, generation?.runId, specId);
      specs.push({
        project: project.name,
        specId,
        specFile: project.root === '.' ? entry.spec : posix.join(project.root, entry.spec),
        model: generation?.model ?? 'unknown',
        provider: generation?.provider ?? 'unknown',
        attempts: generation?.attempts ?? 0,
        usage,
        ...(cost === undefined ? {} : { cost }),
        generatedAt: generation?.time ?? '',
        runId: generation?.runId ?? '',
        gates: { ...(last?.gates ?? {}) },
        ...(logged && logged.attempts.length > 0 ? { attemptLog: logged.attempts } : {}),
        outputs,
      });
    }
  }
  return specs;
}
