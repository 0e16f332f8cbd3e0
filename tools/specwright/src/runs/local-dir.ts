import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `.specwright/` holds what is local to one machine (run logs, guard verdicts); it ignores itself for git. */
export const LOCAL_DIR = '.specwright';

/** Creates `<workspace>/.specwright/<sub>` and the `.gitignore` that keeps the whole folder out of git. */
export function ensureLocalDir(workspaceRoot: string, sub: string): string {
  const dir = join(workspaceRoot, LOCAL_DIR, sub);
  mkdirSync(dir, { recursive: true });
  const ignore = join(workspaceRoot, LOCAL_DIR, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '# Specwright run logs and guard verdicts: local to this machine, never committed.\n*\n');
  return dir;
}
