/** What a bench run measures and how hard; parsed from the command line and the environment. */
export interface BenchOptions {
  /** Messages per throughput scenario. */
  n: number;
  /** Messages per pipelined producer batch (raw XADD and `publishMany` alike). */
  batchSize: number;
  /** Entries per raw `XREADGROUP` (the ceiling's COUNT). */
  readCount: number;
  /** Seconds each fixed-rate latency scenario runs. */
  latencySeconds: number;
  /** Seconds of the soak at 50 % load. */
  soakSeconds: number;
  /** Seconds at the start of a fixed-rate run whose latencies are not recorded (JIT, connections). */
  warmupSeconds: number;
  /** Consumer concurrencies of the no-op scenario. */
  concurrencies: number[];
  /** Concurrency of the full-path and fixed-rate consumers. */
  pathConcurrency: number;
  /** SSE subscribers of the many-watchers scenario. */
  watchers: number;
  /** Tasks the watchers are spread over. */
  watcherTasks: number;
  /** Completions queued before the worker starts, in the backlog drain. */
  backlog: number;
  /** Scenario ids to run; empty runs all. */
  only: string[];
  /** Write a V8 CPU profile of each consuming child and print where its time went. */
  profile: boolean;
  /** Folder for results (JSON, SVG, profiles). */
  outDir: string;
  /** A small smoke run: tiny N, short latency and soak. */
  quick: boolean;
}

/** Defaults of every bench option, in one place. */
export const DEFAULT_BENCH_OPTIONS: Readonly<BenchOptions> = Object.freeze({
  /** @defaultValue 50000, or `BENCH_N` */
  n: 50_000,
  /** @defaultValue 500: one batch of the ceiling's read, so producer and consumer move the same unit */
  batchSize: 500,
  /** @defaultValue 500 */
  readCount: 500,
  /** @defaultValue 10 */
  latencySeconds: 10,
  /** @defaultValue 120: the 2-minute soak */
  soakSeconds: 120,
  /** @defaultValue 1 */
  warmupSeconds: 1,
  /** @defaultValue [1, 16, 64] */
  concurrencies: [1, 16, 64],
  /** @defaultValue 16 */
  pathConcurrency: 16,
  /** @defaultValue 10000 */
  watchers: 10_000,
  /** @defaultValue 1000 */
  watcherTasks: 1_000,
  /** @defaultValue 100000 */
  backlog: 100_000,
  /** @defaultValue [] (everything) */
  only: [],
  /** @defaultValue false */
  profile: false,
  /** @defaultValue 'results' beside the package */
  outDir: 'results',
  /** @defaultValue false */
  quick: false,
}) as Readonly<BenchOptions>;

/** What `--quick` changes: enough to run every code path, in seconds. */
const QUICK: Partial<BenchOptions> = {
  n: 2_000,
  latencySeconds: 2,
  soakSeconds: 3,
  warmupSeconds: 0.2,
  watchers: 200,
  watcherTasks: 20,
  backlog: 2_000,
};

const USAGE = `usage: pnpm bench [--n N] [--quick] [--soak-seconds S] [--latency-seconds S] [--batch B]
                  [--path-concurrency C]
                  [--watchers W] [--backlog B] [--only id,id] [--profile] [--out DIR]
  --n N                 messages per throughput scenario (default 50000, env BENCH_N)
  --quick               smoke run: N=2000, 2 s latency runs, 3 s soak
  --soak-seconds S      length of the 50 % load soak (default 120)
  --latency-seconds S   length of each fixed-rate latency run (default 10)
  --batch B             producer batch size (default 500)
  --concurrency a,b,c   no-op consumer concurrencies (default 1,16,64)
  --path-concurrency C  concurrency of the full path and the fixed-rate consumers (default 16, the worker's)
  --watchers W          SSE subscribers of the many-watchers scenario (default 10000, over W/10 tasks)
  --backlog B           completions queued before the worker starts in the drain (default 100000)
  --only ids            run only these scenarios (ids as in the table; prefixes match)
  --profile             CPU-profile each consuming child (node --cpu-prof) and summarise it
  --out DIR             results folder (default bench/results)`;

/** A bad command line; the message says what to fix. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
  }
}

function positive(name: string, raw: string | undefined, integer = true): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new BenchUsageError(`${name} needs a positive ${integer ? 'integer' : 'number'}, got ${raw}`);
  return value;
}

/** Parses `argv` (without node and script) over the defaults; `--help` throws the usage text. */
export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const options: BenchOptions = {
    ...DEFAULT_BENCH_OPTIONS,
    concurrencies: [...DEFAULT_BENCH_OPTIONS.concurrencies],
  };
  const explicit = new Set<keyof BenchOptions>();
  if (env.BENCH_N) {
    options.n = positive('BENCH_N', env.BENCH_N);
    explicit.add('n');
  }
  const args = [...argv];
  while (args.length > 0) {
    const arg = args.shift()!;
    const [flag, inline] = arg.includes('=')
      ? (arg.split(/=(.*)/s, 2) as [string, string])
      : [arg, undefined];
    const value = () => inline ?? args.shift();
    const set = <K extends keyof BenchOptions>(key: K, v: BenchOptions[K]) => {
      options[key] = v;
      explicit.add(key);
    };
    switch (flag) {
      case '--':
        break;
      case '--n':
        set('n', positive('--n', value()));
        break;
      case '--quick':
        options.quick = true;
        break;
      case '--soak-seconds':
        set('soakSeconds', positive('--soak-seconds', value(), false));
        break;
      case '--latency-seconds':
        set('latencySeconds', positive('--latency-seconds', value(), false));
        break;
      case '--batch':
        set('batchSize', positive('--batch', value()));
        break;
      case '--concurrency':
        set(
          'concurrencies',
          (value() ?? '').split(',').map((c) => positive('--concurrency', c)),
        );
        break;
      case '--path-concurrency':
        set('pathConcurrency', positive('--path-concurrency', value()));
        break;
      case '--watchers': {
        const watchers = positive('--watchers', value());
        set('watchers', watchers);
        set('watcherTasks', Math.max(1, Math.round(watchers / 10)));
        break;
      }
      case '--backlog':
        set('backlog', positive('--backlog', value()));
        break;
      case '--only':
        set(
          'only',
          (value() ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        );
        break;
      case '--profile':
        options.profile = true;
        break;
      case '--out': {
        const dir = value();
        if (!dir) throw new BenchUsageError('--out needs a folder');
        set('outDir', dir);
        break;
      }
      case '--help':
      case '-h':
        throw new BenchUsageError('');
      default:
        throw new BenchUsageError(`unknown argument ${arg}`);
    }
  }
  if (options.quick)
    for (const [key, v] of Object.entries(QUICK) as [keyof BenchOptions, never][])
      if (!explicit.has(key)) options[key] = v;
  return options;
}
