import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { MachineInfo } from './results.js';

/** Describes this machine and the Redis server, so every figure is read next to what produced it. */
export function machineInfo(redisVersion: string): MachineInfo {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()}`,
    node: process.version,
    redis: redisVersion,
    loadAvgStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** The 1-minute load average now. */
export function currentLoad(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
