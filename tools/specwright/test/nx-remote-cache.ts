import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NxRemoteCache {
  /** For NX_SELF_HOSTED_REMOTE_CACHE_SERVER. */
  url: string;
  token: string;
  /** Stored task outputs (tar archives as Nx sends them) by task hash. */
  entries: Map<string, Buffer>;
  requests: { method: string; hash: string; status: number }[];
  close(): Promise<void>;
}

/**
 * A self-hosted Nx remote cache on 127.0.0.1, implementing Nx's documented OpenAPI contract (Nx ≥ 20.8):
 * `PUT /v1/cache/{hash}` stores a task's output archive (409 when the record exists: records are immutable),
 * `GET /v1/cache/{hash}` returns it or 404, both behind `Authorization: Bearer <token>` (401 without, 403 with a
 * wrong one). What a team would run on a shared host, or what an S3/GCS/Azure adapter stands for.
 */
export async function startNxRemoteCache(token = 'specwright-cache-token'): Promise<NxRemoteCache> {
  const entries = new Map<string, Buffer>();
  const requests: NxRemoteCache['requests'] = [];
  const server = createServer(async (request, response) => {
    const hash = /^\/v1\/cache\/([^/?]+)$/.exec(request.url ?? '')?.[1];
    const reply = (status: number, body?: Buffer | string) => {
      requests.push({ method: request.method ?? '', hash: hash ?? request.url ?? '', status });
      response.writeHead(status, body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/octet-stream', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    };
    const auth = request.headers.authorization;
    if (!auth) return reply(401, 'missing bearer token');
    if (auth !== `Bearer ${token}`) return reply(403, 'wrong token');
    if (!hash) return reply(404, 'unknown path');
    if (request.method === 'GET') {
      const entry = entries.get(hash);
      return entry ? reply(200, entry) : reply(404, 'not found');
    }
    if (request.method === 'PUT') {
      const body = await readBody(request);
      if (entries.has(hash)) return reply(409, 'record exists');
      entries.set(hash, body);
      return reply(200);
    }
    return reply(405, 'method not allowed');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    entries,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
