// Detector thresholds. Defaults are documented here, where they are defined,
// and chosen to stay silent on a quiet host and on a busy one (this machine
// with 500 extra processes and 2,000 connections): an absolute floor keeps
// small relative jumps (1% → 3% CPU) quiet, a z-score keeps noise quiet, and a
// sustain count keeps one blip quiet. The agent config embeds
// DetectorConfigSchema; detectorConfig() gives every default.
import { z } from 'zod';

/** One metric compared to its learned baseline. */
export function metricSchema(d: { floor: number; minDev: number; z?: number; sustain?: number; strong?: number }) {
  return z.object({
    enabled: z.boolean().default(true),
    /** Score (deviations above the learned mean) needed. */
    z: z.number().positive().default(d.z ?? 6),
    /** The value must also be this far above the mean, in the metric's unit. */
    floor: z.number().nonnegative().default(d.floor),
    /** Deviation never assumed below this (a flat series would make any wiggle huge). */
    minDev: z.number().positive().default(d.minDev),
    /** Consecutive samples above threshold before it fires. */
    sustain: z.number().int().min(1).default(d.sustain ?? 2),
    /** A sample this many times beyond both z and floor fires at once, without sustain. */
    strong: z.number().min(1).default(d.strong ?? 1.5),
  }).prefault({});
}

export type MetricConfig = z.infer<ReturnType<typeof metricSchema>>;

const MB = 1024 * 1024;

export const DetectorConfigSchema = z.object({
  /** EWMA weight of a new sample once warm (0.05 ≈ the last 20 samples, 100 s at 5 s). */
  alpha: z.number().gt(0).lt(1).default(0.05),
  /** Samples a baseline learns before it may fire. 12 = one minute at 5 s. */
  warmup: z.number().int().min(1).default(12),
  /** Samples after a fresh start that only learn executables, ports and listeners (no events). */
  learningSamples: z.number().int().min(0).default(12),
  /** A coalesced anomaly is re-reported at most once per this many samples, with its count. */
  repeatEvery: z.number().int().min(1).default(12),
  /** Samples without the anomaly before it is reported cleared. */
  clearAfter: z.number().int().min(1).default(2),
  /** Evidence bound: processes and endpoints per event. */
  maxEvidence: z.number().int().min(1).max(50).default(10),

  /** Whole-host CPU, percent of all cores. */
  cpu: metricSchema({ floor: 25, minDev: 2 }),
  /** The busiest process's CPU, percent of one core (same signature, cpu.spike). */
  processCpu: metricSchema({ floor: 50, minDev: 5 }),
  /** Memory used, percent. */
  memory: metricSchema({ floor: 15, minDev: 1 }),
  /** Disk read or write, bytes per second. */
  diskIo: metricSchema({ floor: 32 * MB, minDev: 1 * MB }),
  /** Change of used bytes on one mount within one sample (fill or mass deletion). */
  diskUsage: metricSchema({ floor: 256 * MB, minDev: 8 * MB, sustain: 1 }),
  /** Number of processes. */
  processCount: metricSchema({ floor: 50, minDev: 3 }),
  /** Distinct outbound remote addresses per sample. */
  fanout: metricSchema({ floor: 50, minDev: 3, sustain: 1 }),
  /** Failed outbound attempts per sample (refused or unanswered). */
  failedAttempts: metricSchema({ floor: 50, minDev: 3, sustain: 1 }),

  /**
   * Threshold Random Walk (Jung et al. 2004) over first contacts: each failed
   * attempt moves the walk up by ln((1-θ1)/(1-θ0)), each success down by
   * ln(θ0/θ1); at `threshold` the host is scanning. minFailures per sample keeps
   * a service retrying one dead peer quiet.
   */
  trw: z.object({
    enabled: z.boolean().default(true),
    theta0: z.number().gt(0).lt(1).default(0.8),
    theta1: z.number().gt(0).lt(1).default(0.2),
    threshold: z.number().positive().default(Math.log(99)),
    minFailures: z.number().int().min(1).default(20),
  }).prefault({}),

  /**
   * New executables, and new scripts run by an interpreter (node, python, perl,
   * sh...: the sampler reports the script as the process's exe and hash).
   */
  newExe: z.object({
    enabled: z.boolean().default(true),
    /** Directories anyone can write: a binary or script running from there scores higher. */
    worldWritable: z.array(z.string()).default(['/tmp', '/dev/shm', '/var/tmp']),
    worldWritableScore: z.number().positive().default(3),
    /** A path with a hidden part (/.cache-x/, .abc) scores this: worms hide their copies so. 1 to not mind. */
    hiddenScore: z.number().positive().default(3),
    /** Remembered executables at most (oldest forgotten first). */
    maxKnown: z.number().int().min(100).default(20000),
  }).prefault({}),

  newPort: z.object({
    enabled: z.boolean().default(true),
    /** Remote ports above this are ephemeral (peers' dynamic ports), not services. */
    maxPort: z.number().int().min(1).max(65535).default(32767),
    /** Loopback traffic stays on the host: not a new outbound service. */
    ignoreLoopback: z.boolean().default(true),
    /**
     * More first-ever remote ports than this in one sample (a port scan) are one
     * event, conn.new-port/tcp:many, with the ports in its evidence, instead of
     * one per port; this many or fewer each get their own conn.new-port/tcp:<port>.
     * Either way the ports are learned.
     */
    burst: z.number().int().min(1).default(8),
  }).prefault({}),

  listen: z.object({
    enabled: z.boolean().default(true),
    maxPort: z.number().int().min(1).max(65535).default(32767),
    /** Listeners bound to loopback only are unreachable from other hosts. */
    ignoreLoopback: z.boolean().default(true),
  }).prefault({}),
}).prefault({});

export type DetectorConfig = z.infer<typeof DetectorConfigSchema>;
export type DetectorConfigInput = z.input<typeof DetectorConfigSchema>;

/** Every threshold, defaults filled in; throws a ZodError naming the bad field. */
export function detectorConfig(input: DetectorConfigInput = {}): DetectorConfig {
  return DetectorConfigSchema.parse(input);
}
