// `npm run chaos -- images` (its options: harness/cli/images.ts): build the docker environment's
// images now (they are also built on first use), print their names and sizes. `rebuild` builds
// them even when present.
import { engine, stopEngine } from './engine.ts';
import { ensureImages, imageSizes, IMAGE_NAMES } from './images.ts';

export async function runImages(o: { rebuild?: boolean }, log: (s: string) => void): Promise<number> {
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
