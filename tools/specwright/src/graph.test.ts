import { describe, expect, it } from 'vitest';
import { orderSpecs } from './graph';
import { parseSpec } from './parse';

const spec = (id: string, dependsOn: string[] = [], output = `${id.split('/')[1]}.ts`) =>
  parseSpec(
    `id: ${id}\ndescription: d\noutputs: [${output}]\nexports:\n  - name: f\n    params: []\n    returns: { schema: { type: integer } }\n${dependsOn.length ? `dependsOn: [${dependsOn.join(', ')}]\n` : ''}`,
    { file: `libs/p/src/${id.split('/')[1]}.spec.yaml`, projectRoot: 'libs/p', project: 'p' },
  );

describe('orderSpecs', () => {
  it('puts dependencies first', () => {
    const ordered = orderSpecs([spec('p/c', ['p/b']), spec('p/b', ['p/a']), spec('p/a')]);
    expect(ordered.map((s) => s.spec.id)).toEqual(['p/a', 'p/b', 'p/c']);
  });

  it('names a cycle with every member and the line of the edge', () => {
    expect(() => orderSpecs([spec('p/a', ['p/b']), spec('p/b', ['p/a'])])).toThrow(/dependency cycle: p\/a → p\/b → p\/a/);
    try {
      orderSpecs([spec('p/a', ['p/b']), spec('p/b', ['p/a'])]);
    } catch (error) {
      expect((error as { line: number }).line).toBe(8);
    }
  });

  it('rejects unknown dependencies, duplicate ids and shared outputs', () => {
    expect(() => orderSpecs([spec('p/a', ['p/zzz'])])).toThrow(/dependsOn names "p\/zzz"/);
    expect(() => orderSpecs([spec('p/a'), { ...spec('p/a'), file: 'libs/p/src/other.spec.yaml' }])).toThrow(/already used by/);
    expect(() => orderSpecs([spec('p/a', [], 'x.ts'), spec('p/b', [], 'x.ts')])).toThrow(/already owned by spec "p\/a"/);
  });
});
