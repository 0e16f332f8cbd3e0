import Ajv from 'ajv';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ajvCacheFolder, validatorFor } from './ajv-cache';
import { SPEC_SCHEMA_AJV_OPTIONS } from './parse';

// Asked at each use, as the module does: the nearest node_modules can appear mid-run (vite's cache folder).
const folder = (): string => ajvCacheFolder() ?? '';
const OPTIONS = { ...SPEC_SCHEMA_AJV_OPTIONS, validateSchema: false };
const filesNow = (): Set<string> => {
  try {
    return new Set(readdirSync(folder()));
  } catch {
    return new Set();
  }
};

/** The spec schema under a title of its own, so that this test's cache file is its own. */
function schemaText(): string {
  const schema = JSON.parse(readFileSync(join(__dirname, '../spec.schema.json'), 'utf8')) as Record<string, unknown>;
  return JSON.stringify({ ...schema, title: `ajv-cache test ${randomUUID()}` });
}

const SAMPLES: unknown[] = [
  { id: 'a/b', description: 'd', outputs: ['a.ts'], exports: [{ name: 'f', params: [], returns: { schema: { type: 'integer' } } }] },
  { id: 'A B', descriptoin: 'd', outputs: 'a.ts', exports: [{ name: 7, params: [{ name: 'x' }], returns: {} }], constraints: { pure: 'yes' } },
  { id: 'a/b', description: 'd', outputs: [], exports: [], examples: [{ export: 'f', args: 1 }], bogus: true },
  'not a mapping',
];

describe('validators compiled once per schema', () => {
  it('writes the compiled validator once and later loads it: the same verdicts and the same errors as compiling', () => {
    const text = schemaText();
    const compiled = new Ajv(OPTIONS).compile(JSON.parse(text) as object);
    const before = filesNow();
    onTestFinished(() => {
      for (const name of filesNow()) if (!before.has(name)) rmSync(join(folder(), name), { force: true });
    });
    const first = validatorFor(text, OPTIONS);
    const written = [...filesNow()].filter((name) => !before.has(name));
    expect(written).toHaveLength(1);
    const second = validatorFor(text, OPTIONS);
    for (const sample of SAMPLES) {
      for (const validate of [first, second]) {
        expect(validate(sample)).toBe(compiled(sample));
        expect(validate.errors ?? null).toEqual(compiled.errors ?? null);
      }
    }

    // The file is what a later process uses: a planted one answers (so the cache is read) …
    const file = join(folder(), written[0] as string);
    writeFileSync(file, 'module.exports = function planted() { return true; };');
    expect(validatorFor(text, OPTIONS)(SAMPLES[3])).toBe(true);
    // … a broken one is compiled again and replaced, and another schema text never reads it.
    writeFileSync(file, 'this is not JavaScript {');
    expect(validatorFor(text, OPTIONS)(SAMPLES[3])).toBe(false);
    expect(readFileSync(file, 'utf8')).toContain('function validate');
    expect(validatorFor(schemaText(), OPTIONS)(SAMPLES[3])).toBe(false);
  });
});
