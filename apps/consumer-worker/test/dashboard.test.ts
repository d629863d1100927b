// The live dashboard: its access rules over plain HTTP, then the page in a real headless Chromium (Debian's
// /usr/bin/chromium) while completions and a dead letter go through a real worker.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublisher } from '@chat/completion-publisher';
import { silentLogger } from '@chat/completion-schema/internal';
import { createStreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createWorker, type Worker } from '../src/worker.js';
import { isolatedEnv, testTask } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.log(`dashboard browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

/** Where the screenshot goes: the repository's test-results/, beside the suite's JSON reports. */
const OUTPUT_DIR = fileURLToPath(new URL('../../../test-results/dashboard/', import.meta.url));
const TOKEN = 'dashboard-test-token-0123456789';

describe('dashboard', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  const { env, stream, keyPrefix } = isolatedEnv(url, 'dashboard', {
    DASHBOARD_TOKEN: TOKEN,
    MAX_DELIVERIES: '2',
    RETRY_BASE_MS: '50',
    RETRY_MAX_MS: '100',
  });
  const registry = createStreamRegistry({ redis, keyPrefix });
  const publisher = createPublisher({ redis, stream });
  let worker: Worker;
  let base: string;

  beforeAll(async () => {
    worker = createWorker({ config: loadConfig(env as NodeJS.ProcessEnv), redis, logger: silentLogger });
    base = `http://127.0.0.1:${(await worker.start()).httpPort}`;
  });

  afterAll(async () => {
    await worker?.close();
    await registry.close();
    await redis.quit();
  });

  const bearer = { authorization: `Bearer ${TOKEN}` };

  it('without the token the page and its API answer 401; replay refuses cross-site requests', async () => {
    expect((await fetch(`${base}/dashboard`)).status).toBe(401);
    expect((await fetch(`${base}/dashboard?token=wrong-token-of-the-right-size`)).status).toBe(401);
    expect((await fetch(`${base}/dashboard/api/state`)).status).toBe(401);
    // The API never takes the token from the URL: a link or an <img> cannot carry a header.
    expect((await fetch(`${base}/dashboard/api/state?token=${TOKEN}`)).status).toBe(401);
    const page = await fetch(`${base}/dashboard?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const state = await fetch(`${base}/dashboard/api/state`, { headers: bearer });
    expect(state.status).toBe(200);
    expect(await state.json()).toMatchObject({
      status: { partitions: [{ stream }] },
      outcomes: { completed: 0 },
    });

    const replay = (headers: Record<string, string>) =>
      fetch(`${base}/dashboard/api/dead-letters/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ id: '1-0', partition: 0 }),
      });
    expect((await replay({})).status).toBe(401);
    expect((await replay({ ...bearer, origin: 'https://evil.example' })).status).toBe(403);
    expect((await replay({ ...bearer, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const missing = await replay({ ...bearer, origin: base });
    expect([missing.status, (await missing.json()).error]).toEqual([404, 'not_found']);
    // Off by default: without DASHBOARD_TOKEN there is no /dashboard at all.
    expect(
      loadConfig({ ...env, DASHBOARD_TOKEN: undefined } as NodeJS.ProcessEnv).dashboardToken,
    ).toBeUndefined();
  });

  it.skipIf(!hasChromium)(
    'in Chromium: charts update while completions arrive, a dead letter appears, replaying it from the page completes the task',
    async () => {
      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          headless: true,
          args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
        });
        const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
        const pageErrors: string[] = [];
        page.on('pageerror', (error) => pageErrors.push(error.message));
        await page.goto(`${base}/dashboard?token=${TOKEN}&interval=250`);
        await page.waitForFunction(
          () => (window as unknown as { dashboard: { updates: number } }).dashboard.updates >= 2,
        );
        // The token left the address bar (and so the history) at once.
        expect(page.url()).toBe(`${base}/dashboard?interval=250`);
        expect(await page.locator('#chart-rate canvas').count()).toBeGreaterThan(0);

        for (let i = 0; i < 6; i++) {
          await registry.createTask(testTask(`ok-${i}`));
          await publisher.publish({
            operation_id: `op-ok-${i}`,
            task_id: `ok-${i}`,
            success: true,
            result: { i },
          });
        }
        // The rate chart drew a completions/s sample above zero from the worker's own counters.
        await page.waitForFunction(() => {
          const rate = (window as unknown as { dashboard: { charts: { rate?: { data: number[][] } } } })
            .dashboard.charts.rate;
          return rate !== undefined && rate.data[1]!.some((value) => value > 0);
        });
        await page.waitForFunction(
          () =>
            (window as unknown as { dashboard: { state: { outcomes: { completed: number } } } }).dashboard
              .state.outcomes.completed === 6,
        );

        // A completion for a task the chat API has not registered: retried, then dead-lettered task_not_found.
        await publisher.publish({
          operation_id: 'op-late',
          task_id: 'late',
          success: true,
          result: { agent: 'a-7' },
        });
        const row = page.locator('tr.letter', { hasText: 'task_not_found' });
        await row.waitFor({ timeout: 20_000 });
        await row.click();
        await expect(page.locator('#letter').textContent()).resolves.toContain('"operation_id": "op-late"');
        await page.waitForFunction(() => {
          const data = (
            window as unknown as { dashboard: { charts: { dead?: { names: string[]; data: number[][] } } } }
          ).dashboard.charts.dead;
          return data?.names.includes('task_not_found');
        });
        mkdirSync(OUTPUT_DIR, { recursive: true });
        await page.screenshot({ path: join(OUTPUT_DIR, 'dashboard.png'), fullPage: true });

        await registry.createTask(testTask('late'));
        await row.locator('button.replay').click();
        await waitFor(
          async () => (await registry.getTask('late'))?.status === 'completed',
          20_000,
          'the replayed task',
        );
        await page.locator('#replay-status', { hasText: /^replayed \d+-\d+ as \d+-\d+$/ }).waitFor();
        await page.locator('tr.letter').first().waitFor({ state: 'detached' });
        expect(pageErrors).toEqual([]);
      } finally {
        await browser?.close();
      }
    },
    90_000,
  );
});
