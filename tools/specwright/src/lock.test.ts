import { describe, expect, it } from 'vitest';
import { isReviewed, parseLock, serializeLock, type LockFile } from './lock';

const entry = (fingerprint: string) => ({
  spec: 'src/a.spec.yaml',
  fingerprint,
  outputs: { 'src/a.ts': { hash: 'sha256:1' } },
  generation: { provider: 'replay', model: 'm', attempts: 1, usage: { promptTokens: 1, completionTokens: 2, cachedTokens: 0 }, runId: 'r', time: 't', history: [] },
});

describe('lock', () => {
  it('serializes deterministically with sorted keys, whatever the insertion order', () => {
    const a: LockFile = { lockVersion: 1, specs: { 'p/b': entry('2'), 'p/a': entry('1') } };
    const b: LockFile = { specs: { 'p/a': entry('1'), 'p/b': entry('2') }, lockVersion: 1 };
    expect(serializeLock(a)).toBe(serializeLock(b));
    expect(serializeLock(a).indexOf('"p/a"')).toBeLessThan(serializeLock(a).indexOf('"p/b"'));
    expect(serializeLock(a).endsWith('}\n')).toBe(true);
  });

  it('round-trips', () => {
    const lock: LockFile = { lockVersion: 1, specs: { 'p/a': entry('1') } };
    expect(parseLock(serializeLock(lock), 'x/specwright.lock.json')).toEqual(lock);
  });

  it('names file, line and column of broken JSON (e.g. merge conflict markers)', () => {
    const broken = '{\n  "lockVersion": 1,\n<<<<<<< HEAD\n';
    expect(() => parseLock(broken, 'libs/a/specwright.lock.json')).toThrow(/not valid JSON/);
    try {
      parseLock(broken, 'libs/a/specwright.lock.json');
    } catch (error) {
      expect((error as { line: number }).line).toBe(3);
      expect((error as { fix: string }).fix).toMatch(/merge conflict/);
    }
  });

  it('refuses other versions and shapes', () => {
    expect(() => parseLock('{"lockVersion": 9, "specs": {}}', 'l')).toThrow(/version 9/);
    expect(() => parseLock('[]', 'l')).toThrow(/no "specs"/);
    expect(() => parseLock('{"lockVersion": 1, "specs": {"a": {}}}', 'l')).toThrow(/incomplete/);
  });

  it('counts a review only for the exact content it approved', () => {
    expect(isReviewed({ hash: 'sha256:1', review: { by: 'a', at: 't', hash: 'sha256:1' } })).toBe(true);
    expect(isReviewed({ hash: 'sha256:2', review: { by: 'a', at: 't', hash: 'sha256:1' } })).toBe(false);
    expect(isReviewed({ hash: 'sha256:2' })).toBe(false);
  });
});
