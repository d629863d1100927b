import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { CompletionConsumer } from '@chat/completion-consumer';
import type { Logger } from '@chat/completion-schema';
import {
  type ConnectionConfig,
  deadLetterJson,
  getDeadLetter,
  listDeadLetterViews,
  NotFoundError,
  readPipelineStatus,
  replayDeadLetterView,
  UsageError,
} from '@chat/pipeline-ops';
import type { Cluster, Redis } from 'ioredis';
import { LastKnown } from '../last-known.js';
import type { WorkerMetrics } from '../metrics.js';
import { hasToken, isSameOrigin } from './dashboard-auth.js';
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_SCRIPT } from './dashboard-page.js';

/** What the dashboard reads: the worker's connection, configuration, consumers and metrics. */
export interface DashboardOptions {
  /** The access token (`DASHBOARD_TOKEN`): the page and its API answer 401 without it. */
  token: string;
  redis: Redis | Cluster;
  config: ConnectionConfig;
  consumers: readonly CompletionConsumer[];
  metrics: WorkerMetrics;
  logger: Logger;
}

/** Where the dashboard lives on the worker's HTTP server. */
export const DASHBOARD_PATH = '/dashboard';

/** How long one state read may take before the page gets the last known state, marked stale. */
const STATE_DEADLINE_MS = 2000;

const BODY_LIMIT_BYTES = 4096;

/** Dead letters a page of the API answers by default, and at most. */
const DEAD_LETTER_PAGE = { default: 50, max: 200 } as const;

const require = createRequire(import.meta.url);
/** uPlot from node_modules, read once: the page loads no code from anywhere else. */
const assets = new Map<string, { type: string; load: () => string }>([
  [
    'uplot.js',
    {
      type: 'text/javascript',
      load: () => readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    },
  ],
  [
    'uplot.css',
    { type: 'text/css', load: () => readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') },
  ],
  ['dashboard.js', { type: 'text/javascript', load: () => DASHBOARD_SCRIPT }],
  ['dashboard.css', { type: 'text/css', load: () => DASHBOARD_CSS }],
]);
const assetCache = new Map<string, string>();

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'";

/**
 * The live dashboard's routes under {@link DASHBOARD_PATH}: the page, its static assets (uPlot and the page's
 * script, no data), and a JSON API (state, dead letters, replay) that needs the token in `Authorization: Bearer`;
 * replay also refuses cross-site requests. Returns a handler for `startHealthServer`'s `routes`.
 */
export function createDashboard(
  options: DashboardOptions,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { redis, config, consumers, metrics, logger } = options;
  const state = new LastKnown(async () => {
    const [status, snapshots, completed, failed, duplicate] = await Promise.all([
      readPipelineStatus(redis, config),
      Promise.all(consumers.map((consumer) => consumer.metrics())),
      metrics.outcomeCount('completed'),
      metrics.outcomeCount('failed'),
      metrics.outcomeCount('duplicate'),
    ]);
    return { status, consumers: snapshots, outcomes: { completed, failed, duplicate } };
  }, STATE_DEADLINE_MS);

  const send = (
    response: ServerResponse,
    status: number,
    type: string,
    body: string,
    extra: Record<string, string> = {},
  ): true => {
    response.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...extra });
    response.end(body);
    // The request is answered: the router returns what this returns.
    return true;
  };
  const json = (response: ServerResponse, status: number, body: unknown) =>
    send(response, status, 'application/json', `${JSON.stringify(body)}\n`);
  const failed = (response: ServerResponse, error: unknown) => {
    if (NotFoundError.isInstance(error))
      return json(response, 404, { error: 'not_found', message: error.message });
    if (UsageError.isInstance(error))
      return json(response, 400, { error: 'bad_request', message: error.message });
    logger.warn({ err: (error as Error).message }, 'dashboard request failed');
    json(response, 500, { error: 'internal', message: (error as Error).message });
  };

  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return false;
    const method = request.method ?? 'GET';
    const sub = path.slice(DASHBOARD_PATH.length).replace(/^\/+/, '');

    if (sub.startsWith('assets/') && method === 'GET') {
      const name = sub.slice('assets/'.length);
      const asset = assets.get(name);
      if (!asset) return json(response, 404, { error: 'not_found' });
      if (!assetCache.has(name)) assetCache.set(name, asset.load());
      send(response, 200, `${asset.type}; charset=utf-8`, assetCache.get(name) as string);
      return true;
    }
    if (sub === '' && method === 'GET') {
      if (!hasToken(request, options.token, { allowQuery: true })) {
        send(
          response,
          401,
          'text/plain; charset=utf-8',
          'dashboard: a valid token is required (?token=… or Authorization: Bearer …)\n',
        );
        return true;
      }
      send(response, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, {
        'content-security-policy': PAGE_CSP,
      });
      return true;
    }
    if (!sub.startsWith('api/')) return json(response, 404, { error: 'not_found' });
    if (!hasToken(request, options.token, { allowQuery: false })) {
      json(response, 401, {
        error: 'unauthorized',
        message: 'send the dashboard token as Authorization: Bearer …',
      });
      return true;
    }
    const route = `${method} ${sub}`;
    if (route === 'GET api/state') {
      state
        .read()
        .then((reading) =>
          reading.value
            ? json(response, 200, {
                ...reading.value,
                fresh: reading.fresh,
                readAt: reading.at,
                ...(reading.error ? { error: reading.error } : {}),
              })
            : json(response, 503, { error: 'unavailable', message: reading.error }),
        )
        .catch((error) => failed(response, error));
      return true;
    }
    if (route === 'GET api/dead-letters') {
      const asked = Number(url.searchParams.get('limit'));
      const limit =
        Number.isInteger(asked) && asked > 0
          ? Math.min(asked, DEAD_LETTER_PAGE.max)
          : DEAD_LETTER_PAGE.default;
      listDeadLetterViews(
        redis,
        config,
        { reason: url.searchParams.get('reason') || undefined },
        { after: url.searchParams.get('after') || undefined, limit },
      )
        .then((page) => json(response, 200, { letters: page.letters.map(deadLetterJson), next: page.next }))
        .catch((error) => failed(response, error));
      return true;
    }
    if (route === 'POST api/dead-letters/replay') {
      if (!isSameOrigin(request)) {
        json(response, 403, {
          error: 'cross_site',
          message: 'replay is accepted only from the dashboard itself',
        });
        return true;
      }
      if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) {
        json(response, 415, { error: 'unsupported_media_type', message: 'send application/json' });
        return true;
      }
      readJson(request)
        .then(async (body) => {
          const { id, partition } = body as { id?: unknown; partition?: unknown };
          if (typeof id !== 'string' || typeof partition !== 'number')
            throw new UsageError('give {"id": "<dead-letter id>", "partition": <n>}');
          const letter = await getDeadLetter(redis, config, id, partition);
          const replayedAs = await replayDeadLetterView(redis, letter);
          if (!replayedAs) throw new NotFoundError(`dead letter ${id} was already gone`);
          logger.info({ deadLetterId: id, partition, replayedAs }, 'dead letter replayed from the dashboard');
          json(response, 200, { id, partition, replayedAs });
        })
        .catch((error) => failed(response, error));
      return true;
    }
    json(response, 404, { error: 'not_found' });
    return true;
  };
}

/** The request body as JSON, at most {@link BODY_LIMIT_BYTES}. */
function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (part: string) => {
      body += part;
      if (body.length > BODY_LIMIT_BYTES) {
        reject(new UsageError('request body too large'));
        request.destroy();
      }
    });
    request.on('end', () => {
      try {
        resolve(JSON.parse(body));
      } catch {
        reject(new UsageError('request body is not JSON'));
      }
    });
    request.on('error', reject);
  });
}
