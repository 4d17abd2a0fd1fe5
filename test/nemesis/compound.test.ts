// compound (scenarios/compound.ts): a link fault with a kill, pause, restart or executor kill
// inside its window; half the time the link carries what the hit strikes (linksCarrying).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linksCarrying } from '../../harness/nemesis/index.ts';
import { contextOf } from '../../harness/runner/property.ts';
import { reference } from '../../harness/systems/reference.ts';
import { compound } from '../../scenarios/compound.ts';

const ctx = contextOf(reference.shape({ workers: 2, keepers: 2 }), 2000, true);

describe('compound', () => {
  it('linksCarrying: a process\'s own link, and for a worker the link its executor talks over', () => {
    expect(linksCarrying('worker-1', ctx.targets).sort()).toEqual(['executor', 'worker-1']);
    expect(linksCarrying('keeper-2', ctx.targets)).toEqual(['keeper-2']);
    expect(linksCarrying('nobody', ctx.targets)).toEqual([]);
  });

  it('puts the link fault on a link that carries the struck process about half the time, elsewhere the rest', () => {
    const schedules = fc.sample(compound.schedule(ctx), { numRuns: 400, seed: 7 });
    let near = 0;
    let hits = 0;
    for (const s of schedules) {
      const linkStep = s.find((step) => 'link' in step.fault);
      const hit = s.find((step) => !('link' in step.fault));
      if (!linkStep || !hit) continue; // the two slowed event paths
      hits++;
      // the link fault starts first (or with it) and the hit lands inside its window
      expect(hit.atMs).toBeGreaterThanOrEqual(linkStep.atMs);
      expect(hit.atMs).toBeLessThanOrEqual(linkStep.atMs + linkStep.durationMs);
      const f = hit.fault as { process?: string; worker?: string };
      const struck = f.process ?? f.worker!;
      if (linksCarrying(struck, ctx.targets).includes((linkStep.fault as { link: string }).link)) near++;
    }
    expect(hits).toBeGreaterThan(150);
    // near by choice half the time, and by chance now and then otherwise
    expect(near / hits).toBeGreaterThan(0.45);
    expect(near / hits).toBeLessThan(0.8);
  });
});
