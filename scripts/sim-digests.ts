// History digests of simulated runs, one line each and one over all, to check that a change to the
// simulation changes no run: reference (reorder, worker-crash, crash-points, takeover, mixed; N plans
// each, seed 1) and each library that simulates (its default scenarios). Run before and after, diff:
//   node --import tsx scripts/sim-digests.ts > before.txt   (N=30, ONLY=reference,bullmq,bull,bee-queue)
import { createHash } from 'node:crypto';
import { reference } from '../harness/systems/reference.ts';
import { determinismCases, historyDigest, simScenarios } from '../test/sim/determinism-cases.ts';
import { REPO_REGISTRY } from '../test/systems/examples.ts';

const N = Number(process.env.N ?? 30);
const which = (process.env.ONLY ?? 'reference,bullmq,bull,bee-queue').split(',');
const all = createHash('sha256');
if (which.includes('reference')) {
  const names = ['reorder', 'worker-crash', 'crash-points', 'takeover', 'mixed'];
  const scenarios = simScenarios(reference.name).filter((s) => names.includes(s.name));
  for (const c of determinismCases(reference, scenarios, { seeds: [1], plansPerSeed: N })) {
    const d = await historyDigest(reference, c);
    all.update(d);
    console.log(`reference ${c.label} ${d}`);
  }
}
for (const entry of REPO_REGISTRY.systems.filter((s) => s.name !== 'reference' && which.includes(s.name) && s.provides.capabilities.includes('simulation'))) {
  const system = await entry.load();
  const scenarios = simScenarios(entry.name, REPO_REGISTRY);
  for (const c of determinismCases(system, scenarios, { seeds: [1], plansPerSeed: Math.max(2, Math.floor(N / 6)) })) {
    const d = await historyDigest(system, c);
    all.update(d);
    console.log(`${entry.name} ${c.label} ${d}`);
  }
}
console.log(`ALL ${all.digest('hex')}`);
process.exit(0);
