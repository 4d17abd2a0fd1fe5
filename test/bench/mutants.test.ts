// The mutants benchmark's storage and materialization (harness/bench/mutants.ts): each mutant is a
// patch with a description, a copy is system-under-test/ plus exactly that patch, and a patch that
// no longer applies is one line of error. No suite runs here (that is `npm run bench -- --only mutants`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROJECT_ROOT } from '../../harness/env/binaries.ts';
import { DEFAULT_ENV_OPTIONS } from '../../harness/env/environment.ts';
import { CONTROL, listMutants, materialize } from '../../harness/bench/mutants.ts';
import { simRunOnce, simTarget } from '../../harness/sim/run.ts';
import { reference as referenceSystem } from '../../harness/systems/reference.ts';
import { longJobs } from '../../scenarios/long-jobs.ts';

const cache = mkdtempSync(path.join(os.tmpdir(), 'mutants-test-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

/** Every file under `dir`, relative to it, with its bytes. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const r = path.join(rel, name);
      if (statSync(path.join(dir, r)).isDirectory()) walk(r);
      else out.set(r, readFileSync(path.join(dir, r), 'utf8'));
    }
  };
  walk('');
  return out;
}

/** Files that differ between two trees (or are in one only). */
function differing(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((f) => a.get(f) !== b.get(f)).sort();
}

const reference = tree(path.join(PROJECT_ROOT, 'system-under-test'));

describe('mutants', () => {
  const mutants = listMutants();

  it('at least six, each with the weakness it targets and a description', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(6);
    for (const m of mutants) {
      // the classes of the judge's weaknesses (a)–(f), or (blind): written without reading the scenarios or checkers
      expect(m.weakness, m.name).toMatch(/^\(([a-f]|blind)\) /);
      expect(m.description.length, m.name).toBeGreaterThan(200);
    }
  });

  it("a mutant's copy is the reference system plus exactly its patch", () => {
    const m = mutants.find((x) => x.name === 'restart-fails-held-job')!;
    const embed = materialize(m, cache);
    const root = path.dirname(path.dirname(embed));
    const copy = tree(path.join(root, 'system-under-test'));
    const patched = [...readFileSync(m.patchFile, 'utf8').matchAll(/^diff --git a\/system-under-test\/(\S+) /gm)].map((x) => x[1]!).sort();
    expect(differing(reference, copy)).toEqual(patched);
    // taking the patch back out leaves the reference system, byte for byte
    const reverse = spawnSync('git', ['apply', '-R', '-p1', m.patchFile], { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_CEILING_DIRECTORIES: cache } });
    expect(reverse.status, reverse.stderr).toBe(0);
    expect(differing(reference, tree(path.join(root, 'system-under-test')))).toEqual([]);
  });

  it('every patch applies; the control is an unchanged copy', () => {
    for (const m of mutants) expect(differing(reference, tree(path.dirname(materialize(m, cache)))).length, m.name).toBeGreaterThan(0);
    expect(differing(reference, tree(path.dirname(materialize(CONTROL, cache))))).toEqual([]);
  });

  it('a patch that no longer applies is one line naming the mutant', () => {
    const stale = path.join(cache, 'stale.patch');
    const text = readFileSync(mutants[0]!.patchFile, 'utf8').replace(/^ (.*\S.*)$/m, ' $1 // changed since');
    writeFileSync(stale, text);
    expect(() => materialize({ ...mutants[0]!, name: 'stale', patchFile: stale }, cache)).toThrow(/^mutant stale: its patch no longer applies to system-under-test\/ \([^\n]+\)$/);
  });

  it('a patch outside system-under-test/ is refused', () => {
    const dir = mkdtempSync(path.join(cache, 'dir-'));
    writeFileSync(path.join(dir, 'evil.patch'), 'Weakness: (a) x\n\ndiff --git a/harness/x.ts b/harness/x.ts\n');
    expect(() => listMutants(dir)).toThrow(/outside system-under-test/);
  });
});

describe('the simulation seam (SimShape.embed)', () => {
  // a long-jobs plan: jobs longer than the lease, no fault (copies go to .cache/mutants, inside the project, so their imports resolve)
  const shape = { ...DEFAULT_ENV_OPTIONS, ...longJobs.env };
  const [[workload, schedule]] = fc.sample(fc.tuple(longJobs.workload(simTarget(referenceSystem, shape, 1).context), longJobs.schedule(simTarget(referenceSystem, shape, 1).context)), { seed: 1, numRuns: 1 });
  const plan = { workload: workload!, schedule: schedule!, settleMs: shape.leaseMs * 2 + 6000 };
  const rerunAttempts = (history: { kind: string; attempt?: number }[]) => history.filter((e) => e.kind === 'transition' && (e.attempt ?? 0) > 1).length;

  it("runs an unchanged copy exactly as the built-in embedding, and a mutant's copy with its own code", async () => {
    const builtIn = await simRunOnce(referenceSystem, shape, plan, 1);
    const control = await simRunOnce(referenceSystem, { ...shape, embed: materialize(CONTROL) }, plan, 1);
    expect(JSON.stringify(control.history)).toBe(JSON.stringify(builtIn.history));
    expect(rerunAttempts(builtIn.history)).toBe(0);
    // lease-watchdog-resend sends every job longer than the lease to its executor a second time
    const mutant = await simRunOnce(referenceSystem, { ...shape, embed: materialize(listMutants().find((m) => m.name === 'lease-watchdog-resend')!) }, plan, 1);
    expect(rerunAttempts(mutant.history)).toBeGreaterThan(0);
  }, 60_000);
});
