// `npm run chaos -- images`: build the docker environment's images now (they are also built on
// first use), print their names and sizes. `--rebuild` builds them even when present.
import { Command } from 'commander';
import { parseCommand } from '../../config/options.ts';
import { engine, stopEngine } from './engine.ts';
import { ensureImages, imageSizes, IMAGE_NAMES } from './images.ts';

export async function runImages(argv: string[], log: (s: string) => void): Promise<number> {
  const cmd = new Command('chaos images')
    .description('Build the docker environment\'s images from this machine\'s binaries (redis-server, toxiproxy-server, node); reused while the binaries are unchanged')
    .option('--rebuild', 'build them even when present');
  if (parseCommand(cmd, argv) === 'help') return 0;
  const o = cmd.opts<{ rebuild?: boolean }>();
  try {
    const e = await engine(log);
    const refs = await ensureImages(e.docker, log, { force: Boolean(o.rebuild) });
    const sizes = await imageSizes(e.docker, refs);
    for (const name of IMAGE_NAMES) process.stdout.write(`${name}\t${refs[name]}\t${sizes[name].toFixed(1)} MB\n`);
    return 0;
  } finally {
    await stopEngine();
  }
}
