import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getFreePort, isPortFree } from './free-port.js';
import { redisCliBinary } from './redis-binaries.js';
import { EPHEMERAL_REDIS_ARGS, spawnRedisProcess } from './redis-server.js';

const run = promisify(execFile);

/** One node of a {@link RedisCluster}. */
export interface ClusterNode {
  readonly host: '127.0.0.1';
  readonly port: number;
}

/** A real Redis Cluster on loopback (3 masters + 3 replicas by default). */
export interface RedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** Seed list for `new Redis.Cluster(cluster.startupNodes)`. */
  readonly startupNodes: { host: string; port: number }[];
  /** SIGKILL one node (for failover tests). */
  killNode(port: number): Promise<void>;
  /** Start a killed node again on its data directory; it rejoins from its nodes.conf. */
  startNode(port: number): Promise<void>;
  /** Ports of the nodes that currently serve slots as masters, asked of a live node. */
  masters(): Promise<number[]>;
  /** Stop every node and remove the data directories. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startCluster}. */
export interface StartClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** @defaultValue 2000 */
  nodeTimeoutMs?: number;
}

async function clusterPort(): Promise<number> {
  // The cluster bus listens on port + 10000, so both must be free.
  for (;;) {
    const port = await getFreePort();
    if (port < 55_000 && (await isPortFree(port + 10_000))) return port;
  }
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(redisCliBinary(), ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 10_000,
  });
  return stdout;
}

/** Starts a cluster with `redis-cli --cluster create` (`REDIS_CLI_BIN` names another client) and waits until every node reports `cluster_state:ok`. */
export async function startCluster(options: StartClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicas);
  const root = mkdtempSync(join(tmpdir(), 'chat-cluster-'));
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await clusterPort();
    if (!ports.includes(port)) ports.push(port);
  }
  const children = new Map<number, ChildProcess>();
  const argsFor = (port: number) => {
    const dir = join(root, String(port));
    mkdirSync(dir, { recursive: true });
    return [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(options.nodeTimeoutMs ?? 2000),
      ...EPHEMERAL_REDIS_ARGS,
    ];
  };
  const startNode = async (port: number) => {
    children.set(port, await spawnRedisProcess(port, argsFor(port)));
  };
  const stopAll = async () => {
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    children.clear();
  };

  try {
    await Promise.all(ports.map(startNode));
    await run(
      redisCliBinary(),
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await Promise.all(ports.map((p) => redisCli(p, 'cluster', 'info').catch(() => '')));
      if (infos.every((info) => info.includes('cluster_state:ok'))) break;
      if (Date.now() > deadline) throw new Error('cluster did not reach cluster_state:ok within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stopAll();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    startupNodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    async killNode(port) {
      const child = children.get(port);
      if (!child) return;
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
      children.delete(port);
    },
    startNode,
    async masters() {
      for (const port of children.keys()) {
        try {
          const out = await redisCli(port, 'cluster', 'nodes');
          return out
            .split('\n')
            .filter((line) => line.includes('master') && !line.includes('fail') && /\s\d+-\d+/.test(line))
            .map((line) => Number(line.split(' ')[1]?.split('@')[0]?.split(':')[1]));
        } catch {}
      }
      return [];
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopAll();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
