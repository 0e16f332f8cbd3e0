/**
 * One type check per project instead of one per spec, for verify-spec: the committed outputs and tests of all specs
 * of a project sit side by side in the workspace, so one program over all of them (what `tsc --noEmit` over the
 * project would check) answers for each. Every check builds a new program and checker; per project, a run of 1,000
 * specs in 50 projects builds 50 instead of 1,000, and leaves a twentieth of the garbage (see heap-budget.ts).
 *
 * Each spec gets the diagnostics of its own roots (its outputs and its tests), the diagnostics that belong to no
 * file, and its own export and suppression checks, run on the shared program: what a check of its own would give,
 * as long as no root of the project reaches into another's scope. A root that is a script (no import or export: its
 * declarations are global), declares a global or a module augmentation, or references types with `///` can change
 * what another spec's files mean; then every spec of that project is checked alone, as in generation.
 *
 * Generation never batches: every candidate is checked alone.
 */
import * as path from 'node:path';
import ts from 'typescript';
import type { Finding } from '../types';
import { BatchGroups, type BatchMember } from './batch-groups';
import type { GateInput, SharedTypecheck } from './gate';
import type { WorkspaceTypeService } from './type-service';
import { typecheckRootsOf, typeFindings, type SpecTypecheckRoots } from './types';

/** Text that makes a file's declarations reach beyond the file itself. */
const REACHES_OUTSIDE = /\bdeclare\s+(?:global\b|module\s+['"])|^\s*\/\/\/\s*<reference\s/m;

export class TypesBatch implements SharedTypecheck {
  private readonly groups: BatchGroups<BatchMember>;
  /** Findings by spec id, once its project's program was checked; a spec missing here is checked alone. */
  private readonly findings = new Map<string, Finding[]>();
  private readonly checked = new Set<string>();
  private built = 0;

  constructor(members: Iterable<BatchMember>) {
    this.groups = new BatchGroups(members);
  }

  /** How many programs the batch built (one per project). */
  get programsBuilt(): number {
    return this.built;
  }

  findingsFor(input: GateInput, service: WorkspaceTypeService): Finding[] | undefined {
    const group = this.groups.groupFor(input);
    if (!group) return undefined;
    if (!this.checked.has(group.key)) {
      this.checked.add(group.key);
      this.checkProject(group.members, input, service);
    }
    return this.findings.get(input.spec.spec.id);
  }

  /** Synchronous from the check to the last spec's findings: the program is valid only until the next check. */
  private checkProject(members: readonly BatchMember[], asking: GateInput, service: WorkspaceTypeService): void {
    const inputs: GateInput[] = members.map((member) => ({ workspaceRoot: asking.workspaceRoot, spec: member.spec, files: member.files, specsById: asking.specsById }));
    const roots = inputs.map(typecheckRootsOf);
    const candidate = new Map<string, string>();
    for (const own of roots) for (const [file, content] of own.candidate) candidate.set(file, content);
    const tests = [...new Set(roots.flatMap((own) => own.testRoots))].filter((file) => !candidate.has(file));
    try {
      const { program, diagnostics } = service.typecheck(candidate, tests);
      this.built++;
      const rootFiles = [...candidate.keys(), ...tests];
      if (rootFiles.some((file) => reachesOutside(program.getSourceFile(file)))) return;
      const byFile = new Map<string, ts.Diagnostic[]>();
      const everyone: ts.Diagnostic[] = [];
      const isRoot = new Set(rootFiles);
      for (const diagnostic of diagnostics) {
        const file = diagnostic.file ? path.resolve(diagnostic.file.fileName) : undefined;
        if (file === undefined || !isRoot.has(file)) {
          everyone.push(diagnostic);
          continue;
        }
        const list = byFile.get(file) ?? [];
        list.push(diagnostic);
        byFile.set(file, list);
      }
      inputs.forEach((input, index) => {
        const own = roots[index]!;
        const ownDiagnostics = [...everyone, ...ownRoots(own).flatMap((file) => byFile.get(file) ?? [])];
        this.findings.set(input.spec.spec.id, [...service.configFindings, ...own.findings, ...typeFindings(input, program, ownDiagnostics)]);
      });
    } catch {
      // nothing recorded: each spec of the project is checked alone and reports what went wrong itself
      for (const input of inputs) this.findings.delete(input.spec.spec.id);
    } finally {
      service.reset();
    }
  }
}

function ownRoots(own: SpecTypecheckRoots): string[] {
  return [...own.candidate.keys(), ...own.testRoots];
}

function reachesOutside(sourceFile: ts.SourceFile | undefined): boolean {
  if (!sourceFile) return false;
  return !ts.isExternalModule(sourceFile) || REACHES_OUTSIDE.test(sourceFile.text);
}
