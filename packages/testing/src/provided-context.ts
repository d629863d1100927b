// Types what the shared globalSetup provides, for every test file that imports this package.
declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the redis-server this test run shares (ours, or `REDIS_URL` when set). */
    redisUrl: string;
  }
}

export {};
