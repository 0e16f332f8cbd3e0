/**
 * verify-spec's shared runs (one vitest run, one type-check program per project) group the specs of a run the same
 * way: by project (plus whatever else must match, e.g. the test workers' capabilities), leaving out a spec that
 * claims a file another spec of its group claims with other contents (one program or one staged copy cannot hold
 * both). A gate asks for its input's group only with exactly the files the group was made with: anything else is a
 * candidate of its own and is checked alone.
 */
import type { ResolvedSpec } from '../types';
import type { GateInput } from './gate';

/** A spec of a batch: the spec and the files the batch sees in place of its outputs. */
export interface BatchMember {
  spec: ResolvedSpec;
  files: ReadonlyMap<string, string>;
}

export interface BatchGroup<M extends BatchMember> {
  key: string;
  members: readonly M[];
}

export class BatchGroups<M extends BatchMember> {
  private readonly groups = new Map<string, M[]>();
  private readonly groupOf = new Map<string, string>();

  /** `extraKey`: what else the specs of one group must share besides their project. */
  constructor(members: Iterable<M>, extraKey: (member: M) => string = () => '') {
    for (const member of members) {
      const key = `${member.spec.projectRoot}\0${extraKey(member)}`;
      const group = this.groups.get(key) ?? [];
      const conflict = group.some((other) => [...member.files].some(([file, content]) => other.files.has(file) && other.files.get(file) !== content));
      if (conflict) continue;
      group.push(member);
      this.groups.set(key, group);
      this.groupOf.set(member.spec.spec.id, key);
    }
  }

  /** The group of `input`'s spec, or undefined when it has none or `input` carries other files than its member. */
  groupFor(input: GateInput): BatchGroup<M> | undefined {
    const key = this.groupOf.get(input.spec.spec.id);
    const members = key === undefined ? undefined : this.groups.get(key);
    const member = members?.find((candidate) => candidate.spec.spec.id === input.spec.spec.id);
    if (key === undefined || !members || !member || !sameFiles(member.files, input.files)) return undefined;
    return { key, members };
  }
}

function sameFiles(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([file, content]) => b.get(file) === content);
}
