import { createPublisher } from '@chat/completion-publisher';
import {
  DEFAULT_COMPLETION_STREAM,
  DEFAULT_CONSUMER_GROUP,
  deadLetterStreamFor,
} from '@chat/completion-schema';
import { spawnWorker, startWorkerProcess } from '@chat/consumer-worker/test';
import { StreamRegistry } from '@chat/stream-registry';
import { type RedisServer, startRedis, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclCommandName, aclForServer, workerAclFromReadme } from '../src/acl.js';

const ADMIN_PASSWORD = 'admin-Pw-93xQ';
const WORKER_PASSWORD = 'wrk-Secret-Pw-5521-zz';
const stream = DEFAULT_COMPLETION_STREAM;
const group = DEFAULT_CONSUMER_GROUP;

describe('Redis ACL: the worker runs with exactly the permissions in its README', () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedis({ args: ['--requirepass', ADMIN_PASSWORD] });
    admin = new Redis(`redis://:${ADMIN_PASSWORD}@127.0.0.1:${server.port}`);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop({ removeData: true });
  });

  const workerEnv = (user: string, password: string) => ({
    REDIS_URL: `redis://${user}:${password}@127.0.0.1:${server.port}`,
    NODE_ENV: 'production',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    CONSUMER_NAME: 'acl-worker',
    MAX_DELIVERIES: '2',
    CLAIM_IDLE_MS: '1000',
    CLAIM_INTERVAL_MS: '200',
    RETRY_BASE_MS: '100',
    RETRY_MAX_MS: '300',
    // The safe trimmer is on by default; a short interval makes its commands part of this run.
    TRIM_INTERVAL_MS: '200',
  });

  it('works end to end and every command the worker sends is in the line', async () => {
    const acl = await aclForServer(workerAclFromReadme(WORKER_PASSWORD), admin);
    if (acl.unknown.length)
      console.log(`rules this server does not know, left out: ${acl.unknown.join(' ')}`);
    expect(await admin.call('ACL', ...acl.args)).toBe('OK');
    await admin.call('ACL', 'LOG', 'RESET');

    // Producer side (admin): tasks, completions, one unknown task (retried, then dead-lettered), one malformed
    // entry, and one entry left pending by a consumer that died, for the worker's claim walk.
    const registry = new StreamRegistry({ redis: admin });
    for (let i = 0; i < 20; i++)
      await registry.createTask({
        taskId: `t-${i}`,
        sessionId: 's',
        toolCallId: `c-${i}`,
        toolName: 'create_agent',
        operationId: `op-${i}`,
      });
    await admin.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const publisher = createPublisher({ redis: admin, maxLen: { strategy: 'off' } });
    await publisher.publishMany(
      Array.from({ length: 20 }, (_, i) =>
        i % 4 === 0
          ? { operation_id: `op-${i}`, task_id: `t-${i}`, success: false, error: 'nope' }
          : { operation_id: `op-${i}`, task_id: `t-${i}`, success: true, result: { i } },
      ),
    );
    await admin.xreadgroup('GROUP', group, 'dead-consumer', 'COUNT', 1, 'STREAMS', stream, '>');
    await publisher.publish({ operation_id: 'op-unknown', task_id: 't-unknown', success: true });
    await admin.xadd(stream, '*', 'data', '{oops');

    const adminAddr = /addr=(\S+)/.exec(String(await admin.client('INFO')))![1]!;
    const monitor = await admin.monitor();
    const sent = new Set<string>();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== adminAddr) sent.add(aclCommandName(args));
    });

    const { worker, http } = await startWorkerProcess(workerEnv('chat-worker', WORKER_PASSWORD));
    try {
      expect((await fetch(`${http}/readyz`)).status).toBe(200);
      expect((await fetch(`${http}/metrics`)).status).toBe(200);
      await waitFor(async () => {
        const statuses = await Promise.all(
          Array.from({ length: 20 }, (_, i) => admin.hget(`chat:task:meta:t-${i}`, 'status')),
        );
        const dlq = await admin.xlen(deadLetterStreamFor(stream));
        const pending = ((await admin.xpending(stream, group)) as [number])[0];
        return (
          statuses.every((s, i) => s === (i % 4 === 0 ? 'failed' : 'completed')) && dlq === 2 && pending === 0
        );
      }, 30_000);
      const reasons = (
        (await admin.xrange(deadLetterStreamFor(stream), '-', '+')) as [string, string[]][]
      ).map(([, f]) => f[f.indexOf('reason') + 1]);
      expect(reasons.sort()).toEqual(['invalid_json', 'task_not_found']);
      // Trimming and the trimmed-unread check ran under this user too.
      await waitFor(() => sent.has('xtrim') && sent.has('xinfo|stream'), 10_000);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      monitor.disconnect();
    }
    const observed = [...sent].sort();
    console.log(`commands the worker sent (MONITOR, scripts included): ${observed.join(' ')}`);
    console.log(
      `allowed but not seen in this run: ${[...acl.commands].filter((c) => !sent.has(c)).join(' ') || 'none'}`,
    );
    // AUTH and QUIT are answered before any ACL check.
    expect(observed.filter((c) => !acl.commands.has(c) && c !== 'auth' && c !== 'quit')).toEqual([]);
    const denials = (await admin.call('ACL', 'LOG')) as unknown[];
    if (denials.length) console.log('ACL LOG', JSON.stringify(denials));
    expect(denials).toEqual([]);
    // The password is in REDIS_URL; no log line may carry it.
    expect(worker.output()).not.toContain(WORKER_PASSWORD);
    expect(worker.output()).toContain('redis://chat-worker:***@127.0.0.1');
    await publisher.close();
    await registry.close();
  });

  it.for([
    [
      'without XGROUP CREATE',
      (args: string[]) => args.filter((a) => a !== '+xgroup|create'),
      'xgroup|create on chat:completions',
    ],
    [
      'without XREADGROUP',
      (args: string[]) => args.filter((a) => a !== '+xreadgroup'),
      'xreadgroup on chat:completions',
    ],
    ['without INFO', (args: string[]) => args.filter((a) => a !== '+info'), 'info'],
    // ioredis sends CLIENT SETINFO on every connect where the server has it (Redis >= 7.2, Valkey).
    [
      'without CLIENT SETINFO',
      (args: string[]) => args.filter((a) => a !== '+client|setinfo'),
      'client|setinfo',
    ],
    ['without EVAL', (args: string[]) => args.filter((a) => a !== '+eval'), "'eval'"],
    [
      'without the dead-letter stream key',
      (args: string[]) => args.filter((a) => a !== `~${deadLetterStreamFor(stream)}`),
      'xadd on {chat:completions}:dlq',
    ],
  ] as const)(
    'a user %s fails at start with a line naming what is missing',
    async ([, edit, named], context) => {
      const user = `limited-${Math.random().toString(36).slice(2, 8)}`;
      const acl = await aclForServer(workerAclFromReadme(WORKER_PASSWORD), admin);
      // A command this server does not have is neither granted nor checked (CLIENT SETINFO on Redis 7.0).
      if (acl.unknown.includes(named)) context.skip(`this server has no ${named}`);
      await admin.call('ACL', ...edit(acl.args.map((a) => (a === 'chat-worker' ? user : a))));
      const worker = spawnWorker(workerEnv(user, WORKER_PASSWORD));
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), 20_000);
      const code = await worker.exited;
      clearTimeout(timer);
      console.log(`${user}: exit ${code}: ${worker.logs.find((l) => l.level === 60)?.msg}`);
      expect(code).toBe(1);
      const fatal = worker.logs.find((l) => l.level === 60);
      expect(fatal?.msg).toContain(named);
      expect(worker.output()).not.toContain(WORKER_PASSWORD);
    },
  );
});
