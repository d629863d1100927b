// `chat-pipeline` as operators run it: the built bin as a child process (real exit codes, real stdout) against a
// real redis-server, with dead letters and pending entries made by a real consumer group.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompletionConsumer, PermanentError } from '@chat/completion-consumer';
import { deadLetterStreamFor } from '@chat/completion-schema';
import { createStreamRegistry } from '@chat/stream-registry';
import { getFreePort, uniquePrefix, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PipelineStatus, TaskView } from '../src/index.js';
import { jsonOf, oneLineReason, runCliProcess } from './cli-process.js';

const redisUrl = inject('redisUrl');
const redis = new Redis(redisUrl);
const prefix = uniquePrefix('cli');
const stream = `${prefix}completions`;
const dlq = deadLetterStreamFor(stream);
const group = 'chat_consumers';
const env = { REDIS_URL: redisUrl, COMPLETION_STREAM: stream, KEY_PREFIX: prefix };
const cli = (...args: string[]) => runCliProcess(args, env);
const registry = createStreamRegistry({ redis, keyPrefix: prefix });

const message = (taskId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    operation_id: `op-${taskId}`,
    task_id: taskId,
    success: true,
    result: { n: 1 },
    error: null,
    ...extra,
  });

beforeAll(async () => {
  // Dead letters the way the worker makes them: two malformed entries (refused by the codec) and three that the
  // handler refuses for good; then two entries a consumer read and never acknowledged.
  const consumer = new CompletionConsumer({
    redis,
    stream,
    group,
    consumer: 'worker-1',
    handler: async (decoded) => {
      throw new PermanentError(`tool refused ${decoded.task_id}`, { reason: 'tool_refused' });
    },
  });
  await consumer.start();
  await redis.xadd(stream, '*', 'data', '{not json');
  await redis.xadd(stream, '*', 'data', '[1, 2');
  for (const id of ['bad-1', 'bad-2', 'bad-3']) await redis.xadd(stream, '*', 'data', message(id));
  await waitFor(async () => (await redis.xlen(dlq)) === 5, 15_000, 'five dead letters');
  await consumer.close();
  for (const id of ['stuck-1', 'stuck-2']) await redis.xadd(stream, '*', 'data', message(id));
  await redis.xreadgroup('GROUP', group, 'ghost', 'COUNT', 2, 'STREAMS', stream, '>');
});

afterAll(async () => {
  await registry.close();
  await redis.quit();
});

describe('chat-pipeline on one redis-server', () => {
  it('status: a table per partition, consumers and dead letters by reason; --json for scripts', async () => {
    // Independent runs go in parallel: each is a whole Node process.
    const [table, json] = await Promise.all([cli('status'), cli('status', '--json')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /PARTITION\s+STREAM\s+LENGTH\s+LAG\s+PENDING\s+OLDEST PENDING\s+DEAD\s+TRIMMED\s+LOSS/,
    );
    expect(table.stdout).toMatch(new RegExp(`0\\s+${stream}\\s+7\\s+0\\s+2\\s+\\S+\\s+5\\s+0\\s+none`));
    expect(table.stdout).toMatch(/0\s+ghost\s+2\s/);
    expect(table.stdout).toMatch(/0\s+invalid_json\s+2/);
    expect(table.stdout).toMatch(/0\s+tool_refused\s+3/);

    const { partitions } = jsonOf<PipelineStatus>(json);
    expect(partitions).toHaveLength(1);
    expect(partitions[0]).toMatchObject({
      stream,
      length: 7,
      group: { name: group, exists: true, lag: 0, pending: 2 },
      deadLetters: { total: 5, byReason: { invalid_json: 2, tool_refused: 3 } },
      loss: { gap: false, unread: 0 },
    });
    expect(partitions[0]?.group.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
    expect(partitions[0]?.consumers.map((c) => c.name).sort()).toEqual(['ghost', 'worker-1']);
  });

  it('status --watch refreshes until interrupted, one JSON document per refresh', async () => {
    const run = runCliProcess(['status', '--watch', '--interval', '100', '--json'], env, {
      signalAfter: (out) => out.split('\n').filter(Boolean).length >= 2,
    });
    const result = await run;
    expect(result.code).toBe(0);
    const docs = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(docs.length).toBeGreaterThanOrEqual(2);
    expect(docs[1].partitions[0].deadLetters.total).toBe(5);
  });

  it('dlq list: filtered by reason and time, paged with --after', async () => {
    const [invalidRun, firstRun, earlyRun, table] = await Promise.all([
      cli('dlq', 'list', '--reason', 'invalid_json', '--json'),
      cli('dlq', 'list', '--limit', '2', '--json'),
      cli('dlq', 'list', '--until', '1000000000000', '--json'),
      cli('dlq', 'list', '--reason', 'tool_refused', '--since', '1h'),
    ]);
    const invalid = jsonOf<{ letters: { decodeError: { code: string } }[]; next: string | null }>(invalidRun);
    expect(invalid.letters.map((l) => l.decodeError.code)).toEqual(['invalid_json', 'invalid_json']);
    expect(invalid.next).toBeNull();

    const first = jsonOf<{ letters: { id: string }[]; next: string }>(firstRun);
    expect(first.letters).toHaveLength(2);
    const rest = jsonOf<{ letters: { id: string }[]; next: string | null }>(
      await cli('dlq', 'list', '--after', first.next, '--json'),
    );
    const all = (await redis.xrange(dlq, '-', '+')).map(([id]) => id);
    expect([...first.letters, ...rest.letters].map((l) => l.id)).toEqual(all);
    expect(rest.next).toBeNull();

    expect(jsonOf<{ letters: unknown[] }>(earlyRun).letters).toEqual([]);
    expect(table.stdout).toMatch(/ID\s+PARTITION\s+REASON\s+DELIVERIES\s+FAILED AT\s+SOURCE ID\s+MESSAGE/);
    expect(table.stdout.match(/tool_refused/g)).toHaveLength(3);
    expect(table.stdout).toContain('op-bad-2 → bad-2 success');
  });

  it('dlq show: the reason, error, deliveries, consumer and the decoded message', async () => {
    const [letter] = jsonOf<{ letters: { id: string }[] }>(
      await cli('dlq', 'list', '--reason', 'tool_refused', '--json'),
    ).letters;
    const [shown, shownJson, missing, bad] = await Promise.all([
      cli('dlq', 'show', letter!.id),
      cli('dlq', 'show', letter!.id, '--json'),
      cli('dlq', 'show', '1-0'),
      cli('dlq', 'show', 'not-an-id'),
    ]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('reason:      tool_refused');
    expect(shown.stdout).toContain('error:       tool refused bad-1');
    expect(shown.stdout).toContain('deliveries:  1');
    expect(shown.stdout).toContain('consumer:    worker-1');
    expect(shown.stdout).toContain('"operation_id": "op-bad-1"');
    expect(jsonOf(shownJson)).toMatchObject({
      reason: 'tool_refused',
      message: { task_id: 'bad-1', result: { n: 1 } },
    });

    expect(missing.code).toBe(1);
    expect(oneLineReason(missing)).toBe('chat-pipeline: no dead letter 1-0');
    expect(bad.code).toBe(2);
    expect(oneLineReason(bad)).toContain('is not a stream entry id');
  });

  it('dlq replay: --dry-run changes nothing; one id, then all matching a filter, go back to the stream', async () => {
    const before = await redis.xlen(stream);
    const dry = await cli('dlq', 'replay', '--reason', 'tool_refused', '--dry-run');
    expect(dry.stdout.trim()).toBe('would replay 3 dead letters (run again without --dry-run)');
    expect(await redis.xlen(dlq)).toBe(5);

    const refused = jsonOf<{ letters: { id: string; data: string }[] }>(
      await cli('dlq', 'list', '--reason', 'tool_refused', '--json'),
    ).letters;
    const one = jsonOf<{ replayedAs: string }>(await cli('dlq', 'replay', refused[0]!.id, '--json'));
    expect(await redis.xrange(stream, one.replayedAs, one.replayedAs)).toEqual([
      [one.replayedAs, ['data', refused[0]!.data]],
    ]);
    expect(await redis.xlen(dlq)).toBe(4);

    const all = await cli('dlq', 'replay', '--reason', 'tool_refused');
    expect(all.stdout.trim()).toBe('replayed 2 of 2 matching dead letters');
    expect(await redis.xlen(stream)).toBe(before + 3);
    expect(await redis.xlen(dlq)).toBe(2);

    const unfiltered = await cli('dlq', 'replay');
    expect(unfiltered.code).toBe(2);
    expect(oneLineReason(unfiltered)).toContain('give an id, a filter');
  });

  it('dlq purge: refuses without a terminal or --yes, deletes what matches with --yes', async () => {
    const unconfirmed = await cli('dlq', 'purge', '--reason', 'invalid_json');
    expect(unconfirmed.code).toBe(2);
    expect(oneLineReason(unconfirmed)).toContain('pass --yes');
    expect(await redis.xlen(dlq)).toBe(2);
    const purged = await cli('dlq', 'purge', '--reason', 'invalid_json', '--yes');
    expect(purged.stdout.trim()).toBe('deleted 2 dead letters');
    expect(await redis.xlen(dlq)).toBe(0);
  });

  it('pending: entries of the group with consumer, idle time, deliveries and their task', async () => {
    const [table, ghost, nobody] = await Promise.all([
      cli('pending'),
      cli('pending', '--consumer', 'ghost', '--json'),
      cli('pending', '--consumer', 'nobody', '--json'),
    ]);
    expect(table.stdout).toMatch(/PARTITION\s+ID\s+CONSUMER\s+IDLE\s+DELIVERIES\s+TASK\s+OPERATION/);
    expect(table.stdout).toMatch(/ghost\s+\S+\s+1\s+stuck-1\s+op-stuck-1/);
    const { entries } = jsonOf<{ entries: Record<string, unknown>[] }>(ghost);
    expect(entries.map((e) => e.taskId)).toEqual(['stuck-1', 'stuck-2']);
    expect(entries[0]).toMatchObject({ consumer: 'ghost', deliveries: 1 });
    expect(jsonOf<{ entries: unknown[] }>(nobody).entries).toEqual([]);
  });

  it('task show: the hash, the op mapping and the chunks, decoded; task tail follows it live to finish', async () => {
    await registry.createTask({
      taskId: 't-1',
      sessionId: 's',
      userId: 'u',
      toolCallId: 'call-1',
      toolName: 'create_agent',
      operationId: 'op-t-1',
    });
    const tail = runCliProcess(['task', 'tail', 't-1'], env);
    const shown = await cli('task', 'show', 't-1');
    expect(shown.stdout).toMatch(/status\s+running/);
    expect(shown.stdout).toContain(`operation: ${prefix}task:op:op-t-1 → t-1`);
    await registry.completeTask('t-1', {
      status: 'completed',
      result: JSON.stringify({ agent: 'a-1' }),
      chunks: [{ type: 'tool-output-available', toolCallId: 'call-1', output: { agent: 'a-1' } }],
    });
    const tailed = await tail;
    expect(tailed.code).toBe(0);
    expect(tailed.stdout).toMatch(
      /^\d+-\d+ {2}tool-output-available \{"toolCallId":"call-1","output":\{"agent":"a-1"\}\}\n\d+-\d+ {2}finish\n$/,
    );

    const [viewRun, missing] = await Promise.all([
      cli('task', 'show', 't-1', '--json'),
      cli('task', 'show', 'nope'),
    ]);
    const view = jsonOf<TaskView>(viewRun);
    expect(view.hash.status).toBe('completed');
    expect(view.chunks.map((c) => (c.chunk as { type: string }).type)).toEqual([
      'tool-output-available',
      'finish',
    ]);
    expect([missing.code, oneLineReason(missing)]).toEqual([1, 'chat-pipeline: no task nope']);
  });

  it('publish: from flags or a JSON file, validated before anything is written', async () => {
    const flags = jsonOf<{ id: string }>(
      await cli('publish', '--operation-id', 'op-p1', '--task-id', 'p1', '--result', '{"ok":true}', '--json'),
    );
    const [entry] = await redis.xrange(stream, flags.id, flags.id);
    expect(JSON.parse(entry?.[1][1] ?? '')).toMatchObject({
      operation_id: 'op-p1',
      task_id: 'p1',
      success: true,
      result: { ok: true },
    });

    const file = join(tmpdir(), `${prefix}message.json`);
    writeFileSync(
      file,
      JSON.stringify({ operation_id: 'op-p2', task_id: 'p2', success: false, error: 'quota' }),
    );
    const fromFile = await cli('publish', '--file', file);
    expect(fromFile.stdout).toMatch(new RegExp(`^published \\d+-\\d+ to ${stream}\\n$`));

    const length = await redis.xlen(stream);
    writeFileSync(file, JSON.stringify({ operation_id: 'op-p3', task_id: '', success: 'yes' }));
    const invalid = await cli('publish', '--file', file);
    expect(invalid.code).toBe(1);
    expect(oneLineReason(invalid)).toContain('invalid operation-complete message');
    expect(await redis.xlen(stream)).toBe(length);
  });

  it('bad input: a clear one-line reason and a non-zero exit, never a stack trace', async () => {
    const cases: [string[], Record<string, string>, number, string][] = [
      [['frobnicate'], env, 2, 'chat-pipeline: unknown command "frobnicate"; see --help'],
      [
        ['dlq', 'explode'],
        env,
        2,
        'chat-pipeline: dlq: unknown subcommand "explode" (list, show, replay, purge)',
      ],
      [['status', '--colour'], env, 2, "chat-pipeline: status: Unknown option '--colour'"],
      [['dlq', 'list', '--since', 'yesterday'], env, 2, 'chat-pipeline: --since: expected a time'],
      [['status'], {}, 2, 'chat-pipeline: invalid configuration: REDIS_URL: set it'],
      [
        ['status'],
        { REDIS_CLUSTER_NODES: '127.0.0.1:7000' },
        2,
        'KEY_LAYOUT: must be cluster when REDIS_CLUSTER_NODES is set',
      ],
      [
        ['status'],
        { REDIS_URL: 'redis://127.0.0.1:6379', PARTITIONS: 'two' },
        2,
        'PARTITIONS: must be a whole number',
      ],
    ];
    const port = await getFreePort();
    const [unreachable, ...runs] = await Promise.all([
      runCliProcess(['status'], { REDIS_URL: `redis://:secret@127.0.0.1:${port}` }),
      ...cases.map(([args, caseEnv]) => runCliProcess(args, caseEnv)),
    ]);
    cases.forEach(([args, , code, reason], i) => {
      const run = runs[i]!;
      expect([args.join(' '), run.code]).toEqual([args.join(' '), code]);
      expect(oneLineReason(run)).toContain(reason);
    });
    expect(unreachable.code).toBe(1);
    expect(oneLineReason(unreachable)).toBe(
      `chat-pipeline: cannot reach Redis at redis://:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
