/**
 * The behaviour diff of an accepted candidate, from the differential gate to the lock. The gate sees the
 * candidate's files map and the write sink gets the same map back from the generator, so the record travels keyed
 * by that object (a WeakMap: nothing is kept once the run lets go of the candidate).
 */
const records = new WeakMap<ReadonlyMap<string, string>, string[]>();

export function recordBehaviourChanges(files: ReadonlyMap<string, string>, changes: string[]): void {
  if (changes.length > 0) records.set(files, changes);
  else records.delete(files);
}

/** The behaviour changes against the reviewed version the differential gate recorded for these files, if any. */
export function behaviourChangesOf(files: ReadonlyMap<string, string>): string[] | undefined {
  return records.get(files);
}
