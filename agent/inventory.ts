// Host inventory, read once at start with systeminformation (it may spawn
// helper processes, which is fine once, never in the sampling loop).
import si from 'systeminformation';
import type { HostInventory } from '../proto/wire.ts';

export const AGENT_VERSION = '0.1.0';

export async function readInventory(tags: Record<string, string>): Promise<HostInventory> {
  const [os, cpu, mem, nics] = await Promise.all([si.osInfo(), si.cpu(), si.mem(), si.networkInterfaces()]);
  const list = Array.isArray(nics) ? nics : [nics];
  const ipAddresses = list
    .flatMap((n) => [n.ip4, n.ip6])
    .filter((ip): ip is string => Boolean(ip))
    .slice(0, 64);
  return {
    hostname: os.hostname.slice(0, 253),
    os: `${os.distro} ${os.release}`.trim().slice(0, 128),
    kernel: os.kernel.slice(0, 128),
    arch: os.arch,
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim().slice(0, 128),
    cpuCores: cpu.cores,
    memoryBytes: mem.total,
    ipAddresses,
    agentVersion: AGENT_VERSION,
    tags,
  };
}
