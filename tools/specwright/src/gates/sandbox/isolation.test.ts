import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectIsolation, isolationNotice, resetIsolationForTests, strongIsolationRequired, wrapCommand } from './isolation';

afterEach(() => resetIsolationForTests());

const namespacesWork = process.platform === 'linux' && spawnSync('unshare', ['--user', '--map-root-user', '--net', 'true']).status === 0;

describe('isolation level', () => {
  it.skipIf(!namespacesWork)('is strong where user namespaces work, and says which layers are in force', () => {
    const isolation = detectIsolation({});
    expect(isolation.level).toBe('strong');
    expect(isolation.summary).toMatch(/^isolation: strong \(netns.*\+permission\+lockdown\)$/);
    expect(isolationNotice(true, {})).toBe(isolation.summary);
  });

  it('is weak without the OS layer: a one-line warning, and an error naming the fix when strong is required', () => {
    const isolation = detectIsolation({ SPECWRIGHT_ISOLATION: 'weak' });
    expect(isolation.level).toBe('weak');
    expect(isolation.summary).toMatch(/^warning: isolation: weak \(.*\): .*requireStrongIsolation/);
    expect(isolation.summary.split('\n')).toHaveLength(1);
    expect(isolationNotice(false, { SPECWRIGHT_ISOLATION: 'weak' })).toBe(isolation.summary);
    expect(() => isolationNotice(true, { SPECWRIGHT_ISOLATION: 'weak' })).toThrow(expect.objectContaining({ code: 'WEAK_ISOLATION', fix: expect.stringMatching(/user namespaces/) }));
    // without namespaces, commands run as they are
    expect(wrapCommand(isolation, 'node', ['x'], ['/tmp'])).toEqual({ command: 'node', args: ['x'] });
  });

  it('takes the requirement from the environment first, then the plugin option', () => {
    expect(strongIsolationRequired(undefined, {})).toBe(false);
    expect(strongIsolationRequired(true, {})).toBe(true);
    expect(strongIsolationRequired(false, { SPECWRIGHT_REQUIRE_STRONG_ISOLATION: '1' })).toBe(true);
    expect(strongIsolationRequired(true, { SPECWRIGHT_REQUIRE_STRONG_ISOLATION: '0' })).toBe(false);
  });

  it.skipIf(!namespacesWork)('wraps a command so that it has no network and cannot write outside its folder', () => {
    const isolation = detectIsolation({});
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'specwright-wrap-'));
    try {
      const script = `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(folder)} + '/inside', 'ok'); try { fs.writeFileSync(${JSON.stringify(os.tmpdir())} + '/specwright-outside-' + process.pid, 'x'); console.log('WROTE'); } catch (e) { console.log(e.code); }`;
      const write = wrapCommand(isolation, process.execPath, ['-e', script], [folder]);
      expect(spawnSync(write.command, write.args, { encoding: 'utf8' }).stdout.trim()).toBe('EROFS');
      expect(fs.readFileSync(path.join(folder, 'inside'), 'utf8')).toBe('ok');
      const net = wrapCommand(isolation, process.execPath, ['-e', "require('net').connect(9, '127.0.0.1').on('error', (e) => console.log(e.code))"], [folder]);
      expect(spawnSync(net.command, net.args, { encoding: 'utf8' }).stdout.trim()).toBe('ENETUNREACH');
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
