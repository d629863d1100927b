#!/usr/bin/env node
// The `chat-pipeline` command; everything it does lives in runCli, so tests and wrappers run the same code.
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chat-pipeline: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
