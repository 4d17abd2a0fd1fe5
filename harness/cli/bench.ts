// `chaos bench` (`npm run bench`): its options. The benchmarks themselves (harness/bench/main.ts)
// are loaded when it runs: they tag the processes they start, which no other subcommand should.
import path from 'node:path';
import { Command } from 'commander';
import { groups, runOption, withOptions } from './options.ts';

export function benchCommand(): Command {
  const cmd = new Command('bench')
    .description('benchmarks of the harness and the reference system (figures, not assertions)')
    .option('--only <names>', 'comma-separated benchmarks (default: all)')
    .option('--quick', 'smoke-sized runs (a few minutes in all)')
    .addOption(runOption('--scenario', { help: 'runs-per-minute: comma-separated scenarios (default: all; with --quick: reorder)' }))
    .option('--out <dir>', 'where <name>.json files go', path.join('reports', 'bench'))
    .option('--mutant <names>', 'mutants: comma-separated mutants (harness/bench/mutants/*.patch; default: all)')
    .option('--seeds <list>', 'mutants: comma-separated seeds each system runs the suite with (default: seed .. seed+4)')
    .option('--unguided', 'mutants: run every suite with --no-guidance (plans drawn fresh), to measure what the guided search adds');
  return withOptions(cmd,
    groups.system('the system, a comma-separated list, or all, that runs-per-minute and sim-runs-per-minute measure (the other benchmarks measure the reference system)'),
    groups.seed('seed of the generated workloads and schedules (time-to-detect uses seed, seed+1, ...)', 1),
    groups.env('where live runs happen: local processes, or containers (runs-per-minute and time-to-detect only)'));
}

/** Names the benchmarks in --only's help, once `chaos bench` is chosen (they are loaded only then). */
export async function describeBenchmarks(cmd: Command): Promise<void> {
  const { BENCHMARKS } = await import('../bench/main.ts');
  const only = cmd.options.find((o) => o.long === '--only');
  if (only) only.description = `comma-separated: ${BENCHMARKS.map((b) => b.name).join(', ')} (default: all)`;
}
