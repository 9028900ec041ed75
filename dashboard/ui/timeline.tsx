// Hosts per 10 s bucket of an incident: new hosts as bars, the running total as
// a line, drawn by uPlot on a canvas (no inline style or script; uPlot sets
// sizes through the CSSOM, which a strict CSP allows).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { TimelineBucket } from './types.ts';

export function Timeline({ buckets, bucketMs }: { buckets: readonly TimelineBucket[]; bucketMs: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current || buckets.length === 0) return;
    // an empty bucket on either side: one bucket alone would give the time axis no width
    const first = buckets[0]!;
    const last = buckets.at(-1)!;
    const padded = [{ startMs: first.startMs - bucketMs, newHosts: 0, totalHosts: 0 }, ...buckets, { startMs: last.startMs + bucketMs, newHosts: 0, totalHosts: last.totalHosts }];
    const xs = padded.map((b) => b.startMs / 1000);
    const width = Math.max(320, Math.min(900, el.current.clientWidth || 600));
    const plot = new uPlot({
      width, height: 180,
      legend: { live: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { label: 'hosts' }],
      series: [
        {},
        { label: `new hosts per ${bucketMs / 1000} s`, stroke: '#b3261e', fill: 'rgba(179,38,30,0.35)', paths: uPlot.paths.bars!({ size: [0.8, 60] }), points: { show: false } },
        { label: 'hosts in total', stroke: '#1f4e79', width: 2 },
      ],
    }, [xs, padded.map((b) => b.newHosts), padded.map((b) => b.totalHosts)], el.current);
    return () => plot.destroy();
  }, [JSON.stringify(buckets), bucketMs]);
  return (
    <figure class="timeline" data-testid="timeline">
      <div ref={el} />
      <figcaption>
        {buckets.length === 0 ? 'no timeline yet' : buckets.map((b) => `${new Date(b.startMs).toISOString().slice(11, 19)}Z +${b.newHosts} (${b.totalHosts})`).join(' · ')}
      </figcaption>
    </figure>
  );
}
