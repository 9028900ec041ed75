// Driver run INSIDE a namespace: installs, reads or removes the kernel
// connection counter of that namespace, as the agent would, printing JSON.
//   install <window_s> | read | remove
//   sample <dir>: the agent's sampler pair (ProcSampler with no fast poll, and
//     KernelCountingSampler) takes a sample, writes <dir>/ready, waits for
//     <dir>/go (20 s at most), takes a second sample and prints its context:
//     the remote endpoints and new remote ports the detectors would get, and
//     the second sample's first-seen contacts (contacts, contactsTracked, contactsDropped).
//   sample <dir> tables: the same with ProcSampler alone (socket tables, no
//     kernel counter), reading its tables whenever a TCP counter moved.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelConnCounter, KernelCountingSampler } from '../../agent/sample/kernel-count.ts';
import { ProcSampler } from '../../agent/sample/proc-sampler.ts';

const [mode, window] = process.argv.slice(2);
const counter = new KernelConnCounter(Number(window ?? 5));
try {
  if (mode === 'install') await counter.install();
  else if (mode === 'read') process.stdout.write(JSON.stringify(await counter.read()) + '\n');
  else if (mode === 'remove') await counter.remove();
  else if (mode === 'sample') {
    const dir = window!;
    const tablesOnly = process.argv[4] === 'tables';
    const sampler = tablesOnly
      ? new ProcSampler({ pollMs: 0, tableMinGapMs: 0, tableMaxAgeMs: 0 })
      : new KernelCountingSampler(new ProcSampler({ pollMs: 0 }), new KernelConnCounter(30), (err) => { throw err; });
    await sampler.sample();
    writeFileSync(join(dir, 'ready'), '');
    for (let i = 0; i < 200 && !existsSync(join(dir, 'go')); i++) await new Promise((r) => setTimeout(r, 100));
    const s = await sampler.sample();
    const ctx = sampler.context();
    process.stdout.write(JSON.stringify({
      remotes: ctx.remotes, newRemotePorts: [...ctx.newRemotePorts],
      contacts: s.contacts, contactsTracked: s.contactsTracked, contactsDropped: s.contactsDropped,
    }) + '\n');
    process.exit(0); // the counter table stays: the caller removes it
  } else { process.stderr.write('usage: kernel-count-driver.ts install <window_s> | read | remove | sample <dir> [tables]\n'); process.exit(2); }
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
