// The browser side in a real headless Chromium (Debian's /usr/bin/chromium, never a downloaded one): the example
// page against the example chat API in a child process that is SIGKILLed and restarted mid-stream.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort } from '@chat/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UIMessageChunk } from '../src/index.js';
import { makeRegistry, waitFor } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium)`);

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** The example server as a real child process, so it can be SIGKILLed. */
function startServer(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', '@chat/testing/register-lua', 'examples/browser/server.ts'],
    { cwd: packageDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (part: Buffer) => {
    stderr += part.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (part: Buffer) => {
      if (part.toString().includes('listening on')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`example server exited with ${code}: ${stderr}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const words = Array.from({ length: 15 }, (_, i) => `w${i}`);
const delta = (i: number): UIMessageChunk => ({
  type: 'text-delta',
  id: 'text-1',
  delta: i === 0 ? (words[0] as string) : ` ${words[i]}`,
});

describe.skipIf(!hasChromium).each([
  { name: 'AI SDK 5 transport', ai: 'ai', mode: 'ai' },
  { name: 'AI SDK 7 transport', ai: 'ai-v7', mode: 'ai' },
  { name: 'plain chunk iterator', ai: 'ai', mode: 'plain' },
])('browser: $name', ({ ai, mode }) => {
  const t = makeRegistry('compat');
  let env: Record<string, string>;
  let server: ChildProcess;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;

  beforeAll(async () => {
    const port = await getFreePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      REDIS_URL: inject('redisUrl'),
      KEY_PREFIX: t.prefix,
      TOKEN_SECRET: 'browser-test-secret-0123456789abcdef',
      AI_PACKAGE: ai,
    };
    server = await startServer(env);
    userDataDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (server) await kill(server);
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await t.close();
  });

  async function createTask(toolCallId: string): Promise<{ taskId: string; streamUrl: string }> {
    const response = await fetch(`${base}/tasks`, {
      method: 'POST',
      headers: { 'x-user-id': 'u1' },
      body: JSON.stringify({ sessionId: 's', toolCallId, toolName: 'create_agent', input: { goal: 'g' } }),
    });
    return (await response.json()) as { taskId: string; streamUrl: string };
  }

  const pageText = () => page.locator('.message .text').allTextContents();
  const demo = () => page.evaluate(() => window.demo);

  it('shows the tool output and the continuation', async () => {
    const { taskId, streamUrl } = await createTask('call-show');
    await page.goto(`${base}/?mode=${mode}&stream=${encodeURIComponent(streamUrl)}`);
    await page.locator('.tool[data-state="input-available"]').waitFor({ timeout: 30_000 });
    await t.registry.completeTask(taskId, {
      status: 'completed',
      chunks: [
        { type: 'tool-output-available', toolCallId: 'call-show', output: { agentId: 'agent-42' } },
        { type: 'text-start', id: 'text-1' },
        { type: 'text-delta', id: 'text-1', delta: 'Your agent is ready.' },
        { type: 'text-end', id: 'text-1' },
        { type: 'finish-step' },
      ],
    });
    await waitFor(async () => (await demo()).status !== 'streaming', 30_000, 'the page to finish');
    expect((await demo()).status).toBe('done');
    await expect(page.locator('.tool').textContent()).resolves.toContain(
      'output-available {"agentId":"agent-42"}',
    );
    expect(await pageText()).toEqual(['Your agent is ready.']);
  });

  it('a chat API killed and restarted mid-stream: one complete message, every chunk once and in order; a reload shows it finished', async () => {
    const { taskId, streamUrl } = await createTask('call-kill');
    await page.goto(`${base}/?mode=${mode}&stream=${encodeURIComponent(streamUrl)}`);
    await page.locator('.tool[data-state="input-available"]').waitFor({ timeout: 30_000 });
    await t.registry.publishChunk(taskId, { type: 'text-start', id: 'text-1' });
    for (let i = 0; i < 5; i += 1) await t.registry.publishChunk(taskId, delta(i));
    await waitFor(async () => (await pageText()).join('') === 'w0 w1 w2 w3 w4', 30_000, 'the first deltas');

    await kill(server);
    // While the API is down the stream goes on (the worker writes to Redis, not to the API).
    for (let i = 5; i < 10; i += 1) await t.registry.publishChunk(taskId, delta(i));
    await waitFor(async () => (await demo()).reconnects >= 1, 30_000, 'the page to retry');
    server = await startServer(env);
    for (let i = 10; i < 15; i += 1) await t.registry.publishChunk(taskId, delta(i));
    await t.registry.completeTask(taskId, {
      status: 'completed',
      chunks: [
        { type: 'text-end', id: 'text-1' },
        { type: 'tool-output-available', toolCallId: 'call-kill', output: { agentId: 'agent-7' } },
        { type: 'finish-step' },
      ],
    });
    await waitFor(
      async () => !['streaming', 'reconnecting'].includes((await demo()).status),
      60_000,
      'the end',
    );

    const stored = (await t.redis.xrange(t.registry.keys.stream(taskId), '-', '+')).map(
      ([, fields]) => (JSON.parse(fields[1] as string) as { type: string }).type,
    );
    const seen = await demo();
    expect(seen.status).toBe('done');
    expect(seen.chunks).toEqual(stored);
    expect(await page.locator('.message[data-role="assistant"]').count()).toBe(1);
    expect(await pageText()).toEqual([words.join(' ')]);
    await expect(page.locator('.tool').textContent()).resolves.toContain('{"agentId":"agent-7"}');

    await page.reload();
    await waitFor(async () => (await demo()).status === 'done' || (await demo()).status === 'error', 30_000);
    expect((await demo()).status).toBe('done');
    expect(await page.locator('.message[data-role="assistant"]').count()).toBe(1);
    expect(await pageText()).toEqual([words.join(' ')]);
    expect((await demo()).chunks).toEqual(stored);
  });
});
