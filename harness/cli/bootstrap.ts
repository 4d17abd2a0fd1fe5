// Installs what the harness needs on this machine (redis-server, toxiproxy-server), or exits 2
// with one line saying what to install.
import { bootstrap } from '../env/binaries.ts';
import { EnvironmentError } from '../env/errors.ts';
import { oneLine } from '../text/oneLine.ts';

const quiet = process.argv.includes('--quiet');
try {
  const bins = bootstrap((s) => console.error(s));
  if (!quiet) console.log(`redis-server: ${bins.redis}\ntoxiproxy-server: ${bins.toxiproxy}`);
} catch (err) {
  console.error(`bootstrap: ${oneLine(err)}`);
  process.exit(err instanceof EnvironmentError ? 2 : 1);
}
