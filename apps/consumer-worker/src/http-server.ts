import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  COMPLETION_PATH,
  type CompletionEndpointOptions,
  handleCompletionRequest,
} from './completion-endpoint.js';

/** One readiness check: its name and whether it passed, with a reason when not. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/** What the health server needs from the worker. */
export interface HealthServerOptions {
  port: number;
  host: string;
  readiness: () => Promise<ReadinessCheck[]>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** Serve `POST /operations/{operation_id}/complete` (off when absent: the path is then 404). */
  completions?: CompletionEndpointOptions | undefined;
  /** More routes (the dashboard), asked first: true when it answered the request. */
  routes?: ((request: IncomingMessage, response: ServerResponse) => boolean) | undefined;
}

/**
 * `/healthz` (the process is alive), `/readyz` (every readiness check passes; 503 with the failing checks
 * otherwise), `/metrics` (Prometheus text) and, when configured, the completion endpoint
 * (`POST /operations/{operation_id}/complete`). Any other path is 404.
 */
export async function startHealthServer(
  options: HealthServerOptions,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    if (options.routes?.(request, response)) return;
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, contentType: string, body: string) => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(body);
    };
    const json = (status: number, body: unknown) =>
      send(status, 'application/json', `${JSON.stringify(body)}\n`);
    const completion = COMPLETION_PATH.exec(path ?? '');
    if (completion && options.completions) {
      if (request.method !== 'POST') return json(405, { error: 'method_not_allowed' });
      let operationId: string;
      try {
        operationId = decodeURIComponent(completion[1]!);
      } catch {
        return json(400, { error: 'invalid_operation_id' });
      }
      return handleCompletionRequest(request, operationId, options.completions, json);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return json(405, { error: 'method_not_allowed' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      options
        .readiness()
        .then((checks) => {
          const ready = checks.every((check) => check.ok);
          json(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
        })
        .catch((error: Error) => json(503, { status: 'not_ready', error: error.message }));
      return;
    }
    if (path === '/metrics') {
      options
        .metrics()
        .then(({ contentType, body }) => send(200, contentType, body))
        .catch((error: Error) => json(500, { error: error.message }));
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
