/**
 * The type-check process's side of type-worker.ts: the checks over one language service, answered one request at a
 * time (a check's program stays valid until its findings are made). Its own module because the gate session
 * (context.ts) holds the asking side while the checks import the gates' modules: one module for both would close an
 * import cycle.
 */
import { describeError } from '../errors';
import type { Finding } from '../types';
import { WorkspaceTypeService, type TypeChecks, type TypecheckSubject } from './type-service';
import type { TypeCheckReply, TypeCheckRequest } from './type-worker';
import { checkAlone } from './types';
import { checkTogether } from './types-batch';

/** The same checks in the calling process, over one language service (tests compare the worker's answers with these). */
export class InProcessTypeChecks implements TypeChecks {
  constructor(readonly service: WorkspaceTypeService) {}

  async check(subject: TypecheckSubject): Promise<Finding[]> {
    return checkAlone(this.service, subject);
  }

  async checkTogether(subjects: readonly TypecheckSubject[]): Promise<Map<string, Finding[]> | undefined> {
    return checkTogether(this.service, subjects);
  }
}

/** The type-check process's main: answers each request in turn until its parent goes. */
export function serveTypeChecks(workspaceRoot: string): void {
  let service: WorkspaceTypeService | undefined;
  process.on('disconnect', () => process.exit(0));
  process.on('message', (request: TypeCheckRequest) => {
    let reply: TypeCheckReply;
    try {
      // Synchronous from the request to its reply: the next request is not read before this one is answered.
      service ??= new WorkspaceTypeService(workspaceRoot);
      const result = request.kind === 'alone' ? checkAlone(service, request.subject) : checkTogether(service, request.subjects);
      reply = { seq: request.seq, ok: true, result };
    } catch (error) {
      reply = { seq: request.seq, ok: false, error: describeError(error) };
    }
    process.send?.(reply);
  });
}
