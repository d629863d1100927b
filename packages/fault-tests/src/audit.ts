import { DEFAULT_CONSUMER_GROUP } from '@chat/completion-schema';
import type { Redis } from 'ioredis';
import type { ExpectedCompletion } from './workload.js';

/** What the end state of a run shows, against what the producer sent. */
export interface AuditResult {
  /** Ordinary tasks not in the state their message said (still running, or the other outcome). */
  lost: string[];
  /** Tasks with more than one `finish` chunk or more than one output chunk. */
  doubleCompleted: string[];
  /**
   * Completed tasks whose continuation is not well formed: a chunk after the `finish`, a text delta outside an
   * open text part, or anything but closing chunks after the error chunk of a taken-over continuation (what a
   * dead owner would leave if its writes were not fenced).
   */
  brokenContinuations: string[];
  /** Poison tasks that changed state although their hook always throws. */
  poisonCompleted: string[];
  /** Entries still pending in the group. */
  pending: number;
  /** Dead letters by reason. */
  deadLettered: Record<string, number>;
  /** Source ids whose dead letter is missing, has the wrong reason, or appears twice; and unexpected ones. */
  deadLetterMismatches: string[];
}

/** Reads a whole stream in pages (XRANGE COUNT), so a large DLQ is not one huge reply. */
async function readAll(redis: Redis, key: string): Promise<[string, string[]][]> {
  const out: [string, string[]][] = [];
  for (let start = '-'; ; ) {
    const page = (await redis.xrange(key, start, '+', 'COUNT', 500)) as [string, string[]][];
    out.push(...page);
    if (page.length < 500) return out;
    start = `(${page[page.length - 1]![0]}`;
  }
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

interface AuditedChunk {
  type?: string;
  id?: string;
}

/** What is wrong with a completed task's chunks after its tool output, or undefined when they are well formed. */
export function continuationProblem(chunks: readonly AuditedChunk[]): string | undefined {
  if (chunks[0]?.type !== 'tool-output-available') return 'the tool output is not the first chunk';
  if (chunks.at(-1)?.type !== 'finish') return 'the finish is not the last chunk';
  const open = new Set<string>();
  let interrupted = false;
  for (const chunk of chunks.slice(1, -1)) {
    if (interrupted && chunk.type !== 'text-end' && chunk.type !== 'finish-step')
      return `a ${chunk.type} chunk after the continuation's error chunk`;
    if (chunk.type === 'error') interrupted = true;
    else if (chunk.type === 'text-start') open.add(chunk.id ?? '');
    else if (chunk.type === 'text-delta' && !open.has(chunk.id ?? ''))
      return 'a text delta outside an open text part';
    else if (chunk.type === 'text-end' && !open.delete(chunk.id ?? ''))
      return 'a text end of no open text part';
  }
  return open.size > 0 ? 'a text part left open' : undefined;
}

/**
 * Compares Redis with what was sent: every task's status and chunks (pipelined, 1 000 tasks per round trip), the
 * group's pending count, and the dead-letter stream against `expectedDeadLetters` (source id → reason).
 */
export async function auditRun(
  redis: Redis,
  options: {
    completions: ExpectedCompletion[];
    expectedDeadLetters: Map<string, string>;
    stream: string;
    deadLetterStream: string;
    keyPrefix?: string;
    group?: string;
  },
): Promise<AuditResult> {
  const prefix = options.keyPrefix ?? 'chat:';
  const result: AuditResult = {
    lost: [],
    doubleCompleted: [],
    brokenContinuations: [],
    poisonCompleted: [],
    pending: 0,
    deadLettered: {},
    deadLetterMismatches: [],
  };
  for (let i = 0; i < options.completions.length; i += 1000) {
    const slice = options.completions.slice(i, i + 1000);
    const pipeline = redis.pipeline();
    for (const { message } of slice) {
      pipeline.hget(`${prefix}task:meta:${message.task_id}`, 'status');
      pipeline.xrange(`${prefix}stream:${message.task_id}`, '-', '+');
    }
    const replies = (await pipeline.exec()) ?? [];
    slice.forEach(({ message, expected }, j) => {
      const status = replies[2 * j]?.[1] as string | null;
      const chunks = (replies[2 * j + 1]?.[1] ?? []) as [string, string[]][];
      const parsed = chunks.map(([, f]) => JSON.parse(field(f, 'data') ?? '{}') as AuditedChunk);
      const types = parsed.map((chunk) => chunk.type);
      const finishes = types.filter((t) => t === 'finish').length;
      // A failure is `tool-output-error` in the ai-sdk dialect and `error` in the original's; only a completed
      // task's continuation can add an `error` chunk of its own (a failed or interrupted continuation).
      const failureType = expected === 'failed' ? 'error' : 'tool-output-error';
      const outputs = types.filter(
        (t) => t === 'tool-output-available' || t === 'tool-output-error' || t === failureType,
      ).length;
      if (finishes > 1 || outputs > 1) result.doubleCompleted.push(message.task_id);
      if (expected === 'completed' && status === 'completed' && continuationProblem(parsed)) {
        result.brokenContinuations.push(`${message.task_id}: ${continuationProblem(parsed)}`);
      }
      if (expected === 'poison') {
        if (status !== 'running' || chunks.length > 0) result.poisonCompleted.push(message.task_id);
      } else if (status !== expected || finishes !== 1 || outputs !== 1) {
        result.lost.push(message.task_id);
      }
    });
  }
  const summary = (await redis.xpending(options.stream, options.group ?? DEFAULT_CONSUMER_GROUP)) as [number];
  result.pending = summary[0];

  const seen = new Map<string, number>();
  for (const [, fields] of await readAll(redis, options.deadLetterStream)) {
    const reason = field(fields, 'reason') ?? '';
    const source = field(fields, 'source_id') ?? '';
    result.deadLettered[reason] = (result.deadLettered[reason] ?? 0) + 1;
    seen.set(source, (seen.get(source) ?? 0) + 1);
    const want = options.expectedDeadLetters.get(source);
    if (want === undefined) result.deadLetterMismatches.push(`${source}: unexpected dead letter (${reason})`);
    else if (want !== reason)
      result.deadLetterMismatches.push(`${source}: reason ${reason}, expected ${want}`);
  }
  for (const [source, reason] of options.expectedDeadLetters) {
    const count = seen.get(source) ?? 0;
    if (count !== 1)
      result.deadLetterMismatches.push(`${source}: ${count} dead letters, expected 1 (${reason})`);
  }
  return result;
}
