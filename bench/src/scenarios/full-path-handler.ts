import type { OperationCompleteMessage } from '@chat/completion-schema';
import { ScenarioUnavailableError } from '../unavailable.js';

/** The handler the full-path scenario runs, and how to release what it opened. */
export interface FullPathHandler {
  handler: (message: OperationCompleteMessage) => Promise<void>;
  note: string;
  close(): Promise<void>;
}

/** The worker's completion handler over a registry on `url`; not available until the registry lands. */
export async function loadFullPathHandler(_url: string): Promise<FullPathHandler> {
  throw new ScenarioUnavailableError('the full path needs @chat/stream-registry, not on this branch yet');
}

/** Registers the tasks the full path completes (`task-<i>` for `op-<i>`); not measured. */
export async function registerTasks(_url: string, _n: number): Promise<void> {
  throw new ScenarioUnavailableError('the full path needs @chat/stream-registry, not on this branch yet');
}
