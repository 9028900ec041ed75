// Driver run INSIDE a namespace: installs, reads or removes the kernel
// connection counter of that namespace, as the agent would, printing JSON.
//   install <window_s> | read | remove
import { KernelConnCounter } from '../../agent/sample/kernel-count.ts';

const [mode, window] = process.argv.slice(2);
const counter = new KernelConnCounter(Number(window ?? 5));
try {
  if (mode === 'install') await counter.install();
  else if (mode === 'read') process.stdout.write(JSON.stringify(await counter.read()) + '\n');
  else if (mode === 'remove') await counter.remove();
  else { process.stderr.write('usage: kernel-count-driver.ts install <window_s> | read | remove\n'); process.exit(2); }
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
