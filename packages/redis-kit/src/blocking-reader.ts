import { ChatPipelineError } from '@chat/completion-schema';
import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './cluster.js';

/** Settings of {@link BlockingReader}. */
export interface BlockingReaderOptions {
  /**
   * Opens the reader's own connection (always ours to close), e.g. `client.duplicate({ maxRetriesPerRequest:
   * null })`: a blocking call must never share the connection that acks, nor give up while Redis restarts.
   */
  connect: () => RedisClient;
  /** The BLOCK of the calls made through the reader, in ms; the watchdog allows this plus slack. */
  blockMs: number;
  /**
   * Another (non-blocked) connection to the same server, on which {@link BlockingReader.unblock} sends CLIENT
   * UNBLOCK. Absent, or returning undefined: a read cannot be woken and ends within BLOCK (a cluster client,
   * whose CLIENT ID would name some node's connection, never passes one).
   */
  unblockVia?: () => Redis | undefined;
  /** Told of the reader connection's `error` events (ioredis reconnects by itself; without a listener Node crashes). */
  onConnectionError?: (error: unknown) => void;
  /** The error a read rejects with when the watchdog fires; an {@link OverdueReadError} by default. */
  overdueError?: (watchdogMs: number) => Error;
}

/** Options of one {@link BlockingReader.read}. */
export interface ReadCallOptions {
  /** False for a call that does not block (a pipeline of non-blocking reads): there is nothing to unblock. */
  blocking?: boolean;
}

/** Codes of the errors a {@link BlockingReader} rejects with: `read_overdue`, `reader_closed`. */
export type BlockingReaderErrorCode = 'read_overdue' | 'reader_closed';

const OVERDUE_MARKER = 'chat.pipeline.error.read_overdue';
const CLOSED_MARKER = 'chat.pipeline.error.reader_closed';

/** A call through a {@link BlockingReader} outlived BLOCK plus slack; its connection was replaced. */
export class OverdueReadError extends ChatPipelineError<'read_overdue'> {
  /** How long the call was allowed (BLOCK plus slack), in ms. */
  readonly watchdogMs: number;

  constructor(watchdogMs: number) {
    super('read_overdue', `the blocking read did not return within ${watchdogMs} ms; connection replaced`);
    this.watchdogMs = watchdogMs;
    ChatPipelineError.mark(this, OVERDUE_MARKER);
  }

  /** True for an OverdueReadError from any package's copy of the kit. */
  static override isInstance(error: unknown): error is OverdueReadError {
    return ChatPipelineError.hasMarker(error, OVERDUE_MARKER);
  }
}

/** A call through a {@link BlockingReader} was cut because the reader closed. */
export class ReaderClosedError extends ChatPipelineError<'reader_closed'> {
  constructor() {
    super('reader_closed', 'the blocking reader is closed');
    ChatPipelineError.mark(this, CLOSED_MARKER);
  }

  /** True for a ReaderClosedError from any package's copy of the kit. */
  static override isInstance(error: unknown): error is ReaderClosedError {
    return ChatPipelineError.hasMarker(error, CLOSED_MARKER);
  }
}

/**
 * A dedicated connection for blocking reads (XREADGROUP or XREAD with BLOCK) and its watchdog. Every call runs
 * under a timer of BLOCK + max(1 s, BLOCK): a half-open socket, or ioredis re-sending a blocking command after a
 * reconnect, would otherwise stall the reader forever; when it fires the connection is dropped (the next call
 * opens a fresh one) and the call rejects. The connection's CLIENT ID is learnt on it before the first blocking
 * call, so {@link BlockingReader.unblock} can end a blocked call early from another connection.
 */
export class BlockingReader {
  private conn: RedisClient | undefined;
  private clientId: number | undefined;
  /** The blocking call in flight, by number; undefined between calls. */
  private blockedCall: number | undefined;
  private calls = 0;
  private pendingUnblock: { call: number; done: Promise<void> } | undefined;
  private closed: Promise<void> | undefined;
  /**
   * How {@link BlockingReader.close} cuts the calls in flight: one entry per call, removed when it settles. Not one
   * long-lived "closing" promise raced by every call: each race would leave a reaction on it holding that call's
   * result (the entries read) until the reader closes, so memory would grow with every read.
   */
  private readonly cutOnClose = new Set<(error: Error) => void>();

  constructor(private readonly options: BlockingReaderOptions) {}

  /** Longest one {@link BlockingReader.read} takes, watchdog included, in ms. */
  get watchdogMs(): number {
    return this.options.blockMs + Math.max(1_000, this.options.blockMs);
  }

  /** Whether a blocking call is in flight right now. */
  get blocked(): boolean {
    return this.blockedCall !== undefined;
  }

  /**
   * Runs `call` on the reader's connection under the watchdog and resolves with its result. Rejects with the
   * overdue error when the watchdog fires, and with {@link ReaderClosedError} when the reader closes meanwhile
   * (a call on a connection disconnected while reconnecting would never settle otherwise).
   */
  async read<T>(call: (connection: RedisClient) => Promise<T>, options: ReadCallOptions = {}): Promise<T> {
    if (this.closed) throw new ReaderClosedError();
    const conn = this.connection();
    const number = ++this.calls;
    const blocking = options.blocking !== false;
    let timer: NodeJS.Timeout | undefined;
    let cut: ((error: Error) => void) | undefined;
    // The watchdog covers the whole call, CLIENT ID included: with maxRetriesPerRequest null a command queued
    // while Redis is down would otherwise wait for as long as the outage lasts. The same per-call promise
    // rejects when the reader closes meanwhile.
    const watchdog = new Promise<never>((_, reject) => {
      cut = reject;
      timer = setTimeout(() => {
        if (this.conn === conn) this.replace();
        reject(this.options.overdueError?.(this.watchdogMs) ?? new OverdueReadError(this.watchdogMs));
      }, this.watchdogMs);
    });
    if (cut) this.cutOnClose.add(cut);
    const attempt = (async () => {
      if (blocking && this.clientId === undefined && this.options.unblockVia && !isCluster(conn)) {
        this.clientId = Number(await (conn as Redis).client('ID'));
      }
      if (blocking) this.blockedCall = number;
      return call(conn);
    })();
    attempt.catch(() => {});
    try {
      return await Promise.race([attempt, watchdog]);
    } finally {
      if (this.blockedCall === number) this.blockedCall = undefined;
      clearTimeout(timer);
      if (cut) this.cutOnClose.delete(cut);
    }
  }

  /**
   * Makes the blocking call in flight return at once, as if its BLOCK had ended (CLIENT UNBLOCK … TIMEOUT, so it
   * delivers nothing). Does nothing when no call blocks or the reader cannot be woken. Calls for the same read
   * share one CLIENT UNBLOCK; as it travels on another connection it may overtake the call it targets (answer
   * 0), so it is retried while that call is current. Rejects when CLIENT UNBLOCK fails.
   */
  unblock(): Promise<void> {
    const call = this.blockedCall;
    const id = this.clientId;
    if (call === undefined || id === undefined || this.closed) return Promise.resolve();
    if (this.pendingUnblock?.call === call) return this.pendingUnblock.done;
    const done = (async () => {
      for (let attempt = 0; attempt < 8 && this.blockedCall === call && !this.closed; attempt += 1) {
        const via = this.options.unblockVia?.();
        if (!via) return;
        if (Number(await via.client('UNBLOCK', id, 'TIMEOUT')) === 1) return;
        await new Promise((resolve) => setTimeout(resolve, 5 * (attempt + 1)));
      }
    })();
    this.pendingUnblock = { call, done };
    return done;
  }

  /**
   * Drops the connection and cuts a call in flight; later reads reject. Resolves once the socket has ended (at
   * most a second), so a caller that reports itself closed has no connection left. Idempotent.
   */
  close(): Promise<void> {
    if (!this.closed) {
      const conn = this.conn;
      const ended = conn ? endOf(conn) : Promise.resolve();
      for (const cut of this.cutOnClose) cut(new ReaderClosedError());
      this.cutOnClose.clear();
      this.replace();
      this.closed = ended;
    }
    return this.closed;
  }

  private connection(): RedisClient {
    if (this.conn) return this.conn;
    const conn = this.options.connect();
    conn.on('error', (error: unknown) => this.options.onConnectionError?.(error));
    // A new socket is a new client: its old id would unblock nobody, or somebody else.
    conn.on('close', () => {
      if (this.conn === conn) this.clientId = undefined;
    });
    this.conn = conn;
    return conn;
  }

  /** Drops the current connection; the next read opens a fresh one. */
  private replace(): void {
    const old = this.conn;
    this.conn = undefined;
    this.clientId = undefined;
    // A blocked call never answers QUIT until BLOCK ends; disconnecting drops it at once.
    old?.disconnect();
  }
}

/** Resolves when `conn` emits `end` (or is already there), or after a second: close must never hang on it. */
function endOf(conn: RedisClient): Promise<void> {
  if (conn.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    timer.unref?.();
    conn.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
