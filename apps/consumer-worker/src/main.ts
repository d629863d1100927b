#!/usr/bin/env node
// The deployable entry point; everything it does lives in runWorkerMain so hook-adding entry points share it.
import { runWorkerMain } from './run-main.js';

await runWorkerMain();
