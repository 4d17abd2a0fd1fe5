// `chaos setup`: installs what the harness needs, and only when asked (an installed package never
// installs anything on its own). It builds toxiproxy-server with Go into the user's cache folder
// (this repository: .cache/bin), and installs redis-server with apt-get only with --apt. One line
// per tool: ok and where, or what could not be done and how to do it; exit 0 when both are there.
import { Command } from 'commander';
import { bootstrap, CACHE_BIN, findBinary, REDIS, TOXIPROXY } from '../env/binaries.ts';
import { oneLine } from '../text/oneLine.ts';
import { formatCheck } from './doctor.ts';

export function setupCommand(): Command {
  return new Command('setup')
    .description(`install what the harness needs: builds toxiproxy-server with Go into ${CACHE_BIN}; with --apt, redis-server with apt-get (root)`)
    .option('--apt', 'also install redis-server with apt-get when it is missing (needs root)');
}

export function runSetup(o: { apt?: boolean }, log: (s: string) => void): number {
  try {
    const bins = bootstrap((s) => log(`setup: ${s}`), { install: true, apt: Boolean(o.apt) });
    for (const [tool, bin] of [[REDIS, bins.redis], [TOXIPROXY, bins.toxiproxy]] as const) process.stdout.write(formatCheck({ name: tool.name, ok: true, detail: bin, required: true }) + '\n');
    return 0;
  } catch (err) {
    // what is there, then the one thing that could not be done
    for (const tool of [REDIS, TOXIPROXY]) {
      let found: string | undefined;
      try {
        found = findBinary(tool);
      } catch {
        found = undefined;
      }
      process.stdout.write(formatCheck({ name: tool.name, ok: found !== undefined, detail: found ?? tool.installHint, required: true }) + '\n');
    }
    log(`setup: ${oneLine(err)}`);
    return 1;
  }
}
