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
import type { TypeChecks, TypecheckSubject, WorkspaceTypeService } from './type-service';
import { typecheckRootsOf, typecheckSubjectOf, typeFindings, type SpecTypecheckRoots } from './types';

/** Text that makes a file's declarations reach beyond the file itself. */
const REACHES_OUTSIDE = /\bdeclare\s+(?:global\b|module\s+['"])|^\s*\/\/\/\s*<reference\s/m;

export class TypesBatch implements SharedTypecheck {
  private readonly groups: BatchGroups<BatchMember>;
  private readonly checks = new Map<string, Promise<Map<string, Finding[]> | undefined>>();

  constructor(members: Iterable<BatchMember>) {
    this.groups = new BatchGroups(members);
  }

  /** How many projects were checked in one program each (asked for by their first spec). */
  get projectsChecked(): number {
    return this.checks.size;
  }

  async findingsFor(input: GateInput, checks: TypeChecks): Promise<Finding[] | undefined> {
    const group = this.groups.groupFor(input);
    if (!group) return undefined;
    let together = this.checks.get(group.key);
    if (!together) {
      const subjects = group.members.map((member) => typecheckSubjectOf({ workspaceRoot: input.workspaceRoot, spec: member.spec, files: member.files }));
      // a failed check records nothing: each spec of the project is checked alone and reports what went wrong itself
      together = checks.checkTogether(subjects).catch(() => undefined);
      this.checks.set(group.key, together);
    }
    return (await together)?.get(input.spec.spec.id);
  }
}

/**
 * The specs of one project checked in one program of `service` (in the process that holds the programs): each
 * spec's findings by id, or undefined when a root reaches outside its file (each spec is then checked alone).
 * Synchronous from the check to the last spec's findings: the program is valid only until the next check.
 */
export function checkTogether(service: WorkspaceTypeService, subjects: readonly TypecheckSubject[]): Map<string, Finding[]> | undefined {
  const roots = subjects.map(typecheckRootsOf);
  const candidate = new Map<string, string>();
  for (const own of roots) for (const [file, content] of own.candidate) candidate.set(file, content);
  const tests = [...new Set(roots.flatMap((own) => own.testRoots))].filter((file) => !candidate.has(file));
  try {
    const { program, diagnostics } = service.typecheck(candidate, tests);
    const rootFiles = [...candidate.keys(), ...tests];
    if (rootFiles.some((file) => reachesOutside(program.getSourceFile(file)))) return undefined;
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
    const findings = new Map<string, Finding[]>();
    subjects.forEach((subject, index) => {
      const own = roots[index]!;
      const ownDiagnostics = [...everyone, ...ownRoots(own).flatMap((file) => byFile.get(file) ?? [])];
      findings.set(subject.spec.spec.id, [...service.configFindings, ...own.findings, ...typeFindings(subject, program, ownDiagnostics)]);
    });
    return findings;
  } finally {
    service.reset();
  }
}

function ownRoots(own: SpecTypecheckRoots): string[] {
  return [...own.candidate.keys(), ...own.testRoots];
}

function reachesOutside(sourceFile: ts.SourceFile | undefined): boolean {
  if (!sourceFile) return false;
  return !ts.isExternalModule(sourceFile) || REACHES_OUTSIDE.test(sourceFile.text);
}
