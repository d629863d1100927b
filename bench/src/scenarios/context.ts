/** What a scenario function gets from the child that runs it. */
export interface ScenarioContext {
  /** Reports how many messages are done so far (read by the progress bar every 100 ms). */
  progress(done: number): void;
  /** Called when the timed phase begins, so profiling and RSS-start cover only what is measured. */
  measuring(): Promise<void>;
  /** Called when the timed phase ends. */
  measured(): Promise<void>;
}
