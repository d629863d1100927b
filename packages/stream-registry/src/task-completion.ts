import type { Cluster, Redis } from 'ioredis';
import { assertFits, encodeChunk, type UIMessageChunk } from './chunk-schema.js';
import { InvalidChunkError, NotOwnerError, TaskNotFoundError, TaskNotRunningError } from './errors.js';
import { runScript } from './scripts.js';
import { parseEntry } from './stream-entry.js';
import type { TaskStatus } from './task.js';

/** The one `finish` chunk a task's stream ends with, as stored. */
export const FINISH_CHUNK_JSON = JSON.stringify({ type: 'finish' });

/**
 * Where a settled completion stands, as recorded in the task hash (`completion_phase`, a field the Python
 * original does not read): `settled` (the tool chunk is in the stream), `persisted` (the host application stored
 * the tool message), `continuing` (the first continuation chunk is in the stream). `finished` is the status change.
 */
export type CompletionPhase = 'settled' | 'persisted' | 'continuing';

/** What `settleTask` writes: the tool chunk and the outcome the finish will apply. */
export interface SettleTaskInput {
  /** The status `finish()` sets unless told otherwise. */
  status: 'completed' | 'failed';
  /** The task's tool call; its running-operation marker (`keys.runningOperation`) is deleted. */
  toolCallId: string;
  /** The tool chunk (`tool-output-available`, or the failure chunk of the registry's dialect). */
  chunk: UIMessageChunk;
  /** Stored in the task hash as `result`. */
  result?: string;
  /** Stored in the task hash as `error`. */
  error?: string;
  /**
   * Finish the task in the same script when this call settles it: the `finish` chunk follows the tool chunk and
   * the status becomes `status` at once (outcome `settled_finished`, one round trip for the whole completion).
   * For a completion with nothing to do between settle and finish (no persist, failure or continue hook). A task
   * an earlier owner settled is still `resumed`, not finished, so the caller carries on from its phase. Absent or
   * false: settle only.
   */
  finish?: boolean;
}

/** What `settleTask` found. */
export type SettleOutcome =
  /** This call settled the task: the tool chunk is appended, the caller owns the completion. */
  | { state: 'settled'; completion: TaskCompletion }
  /**
   * Only with `finish: true`: this call settled and finished the task in one step (tool chunk, `finish` chunk,
   * final status); there is nothing left to own.
   */
  | { state: 'settled_finished'; status: 'completed' | 'failed'; toolEntryId: string; finishEntryId: string }
  /**
   * The task was settled by an owner whose lease ran out (a crash, a lost lease): the caller now owns the
   * completion and resumes it from `completion.phase`, with the settled outcome; nothing was appended.
   */
  | { state: 'resumed'; completion: TaskCompletion }
  /** Another worker owns the completion and its lease is live: try again in `retryInMs`. */
  | { state: 'busy'; retryInMs: number }
  /** The task is finished already (a redelivery): nothing changed. */
  | { state: 'finished'; status: TaskStatus }
  /** No task hash (never created, or expired). */
  | { state: 'not_found' };

/** What `TaskCompletion.finish` changes. */
export interface FinishTaskInput {
  /** Overrides the settled status (e.g. `failed` when persisting the tool message failed). */
  status?: 'completed' | 'failed';
  /** Stored in the task hash as `error`. */
  error?: string;
  /** Appended, in order, before the `finish` chunk. */
  chunks?: readonly UIMessageChunk[];
}

/** What a {@link TaskCompletion} needs from its registry. */
export interface TaskCompletionHost {
  readonly redis: Redis | Cluster;
  readonly metaKey: string;
  readonly streamKey: string;
  readonly leaseMs: number;
  readonly ttlSeconds: number;
  readonly streamMaxLen: number;
  readonly maxChunkBytes: number;
}

/** The settled facts a completion starts from. */
export interface TaskCompletionState {
  taskId: string;
  owner: string;
  status: 'completed' | 'failed';
  phase: CompletionPhase;
  toolEntryId: string;
  result: string | undefined;
  error: string | undefined;
}

/**
 * One worker's ownership of a settled task's completion, from `settleTask` to `finish()`. Every write is one
 * fenced script call (one round trip): it succeeds only while this owner token is the task's, so after another
 * worker took the completion over, a write from here is refused with `not_owner` and changes nothing. The
 * task's `status` stays `running` until `finish()`, which appends the one `finish` chunk.
 */
export class TaskCompletion {
  /** The task. */
  readonly taskId: string;
  /** This owner's fence token. */
  readonly owner: string;
  /** The settled outcome. */
  readonly status: 'completed' | 'failed';
  /** The phase recorded when this owner got the completion (`settled` for a fresh settle). */
  readonly phase: CompletionPhase;
  /** Entry id of the tool chunk; the continuation follows it. */
  readonly toolEntryId: string;
  /** The stored result (a completed task's output). */
  readonly result: string | undefined;
  /** The stored error. */
  readonly error: string | undefined;
  private continuing: boolean;
  /** Number of this owner's last step that must run once (see `completion-step-2.lua`). */
  private steps = 0;

  constructor(
    private readonly host: TaskCompletionHost,
    state: TaskCompletionState,
  ) {
    this.taskId = state.taskId;
    this.owner = state.owner;
    this.status = state.status;
    this.phase = state.phase;
    this.toolEntryId = state.toolEntryId;
    this.result = state.result;
    this.error = state.error;
    this.continuing = state.phase === 'continuing';
  }

  /** Records that the host application stored the tool message, so a takeover does not persist it again. */
  async markPersisted(): Promise<void> {
    await this.step('persisted', '', undefined, []);
  }

  /** Renews this owner's lease without writing anything (a long hook keeps the completion this way). */
  async renew(): Promise<void> {
    await this.step('', '', undefined, [], { once: false });
  }

  /**
   * Gives the completion up at once (its lease ends now), so the next delivery takes it over without waiting
   * for the lease to run out; used before a message is retried.
   */
  async release(): Promise<void> {
    await this.step('', '', undefined, [], { once: false, leaseMs: 0 });
  }

  /**
   * Appends one continuation chunk (validated against the chunk schema; `finish` is refused, `finish()` writes
   * it) and returns its entry id. The first one records the `continuing` phase.
   */
  async write(chunk: UIMessageChunk): Promise<string> {
    if (chunk.type === 'finish') {
      throw new InvalidChunkError('the finish chunk is written by finish() only', { taskId: this.taskId });
    }
    const json = encodeChunk(chunk, this.host.maxChunkBytes);
    const id = await this.step(this.continuing ? '' : 'continuing', '', undefined, [json]);
    this.continuing = true;
    return id;
  }

  /**
   * Finishes the task exactly once: appends `chunks` and the `finish` chunk, sets the status (the settled one
   * unless `status` says otherwise) and `completed_at`. Resolves with the final status.
   */
  async finish(input: FinishTaskInput = {}): Promise<'completed' | 'failed'> {
    const jsons = (input.chunks ?? []).map((chunk) => {
      if (chunk.type === 'finish') {
        throw new InvalidChunkError('finish() adds the finish chunk itself', { taskId: this.taskId });
      }
      return encodeChunk(chunk, this.host.maxChunkBytes);
    });
    if (input.error !== undefined) assertFits(input.error, this.host.maxChunkBytes, 'the error', this.taskId);
    jsons.push(FINISH_CHUNK_JSON);
    await this.step('', input.status ?? 'settled', input.error, jsons);
    return input.status ?? this.status;
  }

  /** The chunks after the tool chunk (what earlier owners streamed of the continuation), in order. */
  async readContinuation(): Promise<UIMessageChunk[]> {
    const entries = (await this.host.redis.xrange(this.host.streamKey, `(${this.toolEntryId}`, '+')) as [
      string,
      string[],
    ][];
    return entries.flatMap(([id, fields]) => parseEntry(id, fields)?.chunk ?? []);
  }

  private async step(
    phase: string,
    finish: string,
    error: string | undefined,
    chunks: readonly string[],
    { once = true, leaseMs = this.host.leaseMs }: { once?: boolean; leaseMs?: number } = {},
  ): Promise<string> {
    const { host } = this;
    // ioredis re-sends a command whose reply a dropped connection lost; the number lets the script tell a re-sent
    // step (already applied) from a new one, so no chunk is ever appended twice.
    const step = once ? String(++this.steps) : '';
    const [outcome, value] = (await runScript(
      host.redis,
      'completion-step-2',
      [host.metaKey, host.streamKey],
      [
        this.owner,
        leaseMs,
        host.ttlSeconds,
        host.streamMaxLen,
        step,
        phase,
        finish,
        finish ? new Date().toISOString() : '',
        error === undefined ? '0' : '1',
        error ?? '',
        ...chunks,
      ],
    )) as [string, string?];
    if (outcome === 'ok') return value ?? '';
    const taskId = this.taskId;
    if (outcome === 'not_owner') {
      throw new NotOwnerError(`task ${taskId}: another worker took the completion over`, { taskId });
    }
    if (outcome === 'not_found') throw new TaskNotFoundError(`task ${taskId} not found`, { taskId });
    throw new TaskNotRunningError(`task ${taskId} is ${value}, not running`, { taskId, status: value });
  }
}

/** Reads a settle script's reply. */
export function settleOutcome(
  host: TaskCompletionHost,
  taskId: string,
  owner: string,
  input: SettleTaskInput,
  reply: (string | null)[],
): SettleOutcome {
  const [state, a, b, c, d, e] = reply;
  if (state === 'not_found') return { state: 'not_found' };
  if (state === 'finished') return { state: 'finished', status: a as TaskStatus };
  if (state === 'busy') return { state: 'busy', retryInMs: Number(a) };
  if (state === 'settled_finished') {
    return { state, status: input.status, toolEntryId: a as string, finishEntryId: b as string };
  }
  if (state === 'settled') {
    return {
      state,
      completion: new TaskCompletion(host, {
        taskId,
        owner,
        status: input.status,
        phase: 'settled',
        toolEntryId: a as string,
        result: input.result,
        error: input.error,
      }),
    };
  }
  return {
    state: 'resumed',
    completion: new TaskCompletion(host, {
      taskId,
      owner,
      phase: a as CompletionPhase,
      status: b as 'completed' | 'failed',
      toolEntryId: c as string,
      result: d ?? undefined,
      error: e ?? undefined,
    }),
  };
}
