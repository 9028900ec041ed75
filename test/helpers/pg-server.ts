// One throwaway PostgreSQL server for a whole test run (.ci/run starts it, so
// the test files share it instead of each starting their own):
//   node --import tsx test/helpers/pg-server.ts URL_FILE
// writes the server's URL to URL_FILE once it accepts connections, and stops
// and removes the server on SIGTERM, SIGINT or when its parent goes away.
import { writeFileSync } from 'node:fs';
import { testPg } from './postgres.ts';

const urlFile = process.argv[2];
if (!urlFile) {
  process.stderr.write('usage: pg-server.ts URL_FILE\n');
  process.exit(2);
}
delete process.env.FIREBREAK_TEST_PG_URL; // start one, never pass another through
const pg = await testPg();
writeFileSync(urlFile, pg.url + '\n');
const stop = () => void pg.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// the parent (CI's shell) died without a signal to us: do not outlive it
const parent = process.ppid;
setInterval(() => { try { process.kill(parent, 0); } catch { stop(); } }, 1000);
