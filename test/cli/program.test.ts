// One chaos program: `chaos --help` names every subcommand, each option is declared once across
// them, the subcommands read the config file's shared options (command line over file over
// defaults), and `chaos doctor` says what this machine has. No suite runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommand, type LoadedConfig } from '../../harness/config/options.ts';
import { mergeCommand, mergeOptionsOf } from '../../harness/cli/merge.ts';
import { parseVerifyOptions } from '../../harness/cli/verify.ts';

const project = path.resolve(fileURLToPath(import.meta.url), '../../..');
const main = path.join(project, 'harness/cli/main.ts');
// from any working directory, as `npm run chaos` runs it (under tsx)
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function chaos(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, ['--import', tsx, main, ...args], { cwd: o.cwd ?? project, env: o.env ?? process.env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

const SUBCOMMANDS = ['run', 'verify', 'merge', 'soak', 'bench', 'images', 'doctor', 'setup'];

describe('the chaos program', () => {
  it('chaos --help lists every subcommand and the default run\'s options', () => {
    const r = chaos(['--help']);
    expect(r.code).toBe(0);
    const commands = r.stdout.slice(r.stdout.indexOf('Commands:'), r.stdout.indexOf('Options of run'));
    for (const name of SUBCOMMANDS) expect(commands).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(r.stdout).toContain('--scenario <names>');
  });

  it.each(SUBCOMMANDS)('chaos %s --help and chaos help %s print its help and exit 0', (name) => {
    for (const args of [[name, '--help'], ['help', name]]) {
      const r = chaos(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(name === 'run' ? /^Usage: chaos \[options\]\n[^]*--scenario <names>/ : new RegExp(`^Usage: chaos ${name}`));
      expect(r.stderr).toBe('');
    }
  });

  it('chaos bench --help and chaos help bench name the benchmarks', () => {
    for (const args of [['bench', '--help'], ['help', 'bench']]) expect(chaos(args).stdout).toMatch(/--only <names> +comma-separated: runs-per-minute,/);
  });

  it('declares each option once in the harness\'s source: subcommands take the shared ones from the run\'s declaration', () => {
    const files = (readdirSync(path.join(project, 'harness'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const declared = new Map<string, string[]>();
    for (const f of files) {
      const text = readFileSync(path.join(project, 'harness', f), 'utf8');
      for (const m of text.matchAll(/(?:\.option\(|new Option\()\s*'(?:-\w, )?(--[a-z0-9-]+)/g)) declared.set(m[1], [...(declared.get(m[1]) ?? []), f]);
    }
    expect(declared.get('--seed')).toHaveLength(1);
    expect([...declared].filter(([, where]) => where.length > 1)).toEqual([]);
  });

  it('an unknown subcommand is a usage error naming the subcommands', () => {
    const r = chaos(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chaos: unknown command "frobnicate" \(commands: run, verify, merge, soak, bench, images, doctor, setup\b/);
    expect(r.stderr.split('\n')).toHaveLength(1);
  });
});

describe('the config file\'s shared options in the subcommands', () => {
  const config = (options: LoadedConfig['options']): LoadedConfig => ({ file: 'chaos.config.mjs', options });

  it('verify takes the file\'s seed, sim, env and report dir, the command line over them; never the file\'s system', () => {
    const file = config({ seed: 7, sim: true, reportDir: 'out', system: 'bullmq' });
    const o = parseVerifyOptions([], file);
    if (o === 'help') throw new Error('help');
    expect([o.seed, o.sim, o.reportDir]).toEqual([7, true, 'out']);
    const cli = parseVerifyOptions(['--seed', '8', '--no-sim', '--report-dir', 'here'], file);
    if (cli === 'help') throw new Error('help');
    expect([cli.seed, cli.sim, cli.reportDir]).toEqual([8, false, 'here']);
    // the file's --shard needs --seed: its seed counts
    const shard = parseVerifyOptions(['--shard', '1/2'], file);
    if (shard === 'help') throw new Error('help');
    expect(shard.shard).toEqual({ index: 1, count: 2 });
  });

  it('merge gates as the file says the run does (its baseline, tolerance, allowUnknown, report dir), the command line over it', () => {
    const parse = (argv: string[], file?: LoadedConfig) => {
      const cmd = mergeCommand();
      parseCommand(cmd, argv);
      return mergeOptionsOf(cmd, file);
    };
    const file = config({ baseline: 'base.json', p99Tolerance: 20, allowUnknown: true, reportDir: 'out' });
    expect(parse(['a', 'b'], file)).toEqual({ dirs: ['a', 'b'], reportDir: 'out', baseline: 'base.json', p99TolerancePct: 20, allowUnknown: true, json: false });
    expect(parse(['a', '--report-dir', 'here', '--p99-tolerance', '5'], file)).toMatchObject({ reportDir: 'here', p99TolerancePct: 5 });
    expect(parse(['a'])).toEqual({ dirs: ['a'], reportDir: 'reports', baseline: undefined, p99TolerancePct: undefined, allowUnknown: false, json: false });
  });

  it('soak takes the file\'s seed (so --shard needs no --seed), and its suites run with the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-soak-config-'));
    try {
      writeFileSync(path.join(dir, 'chaos.config.mjs'), 'export default { seed: 9, sim: true, scenarios: ["reorder"], runs: 1 };\n');
      // shard 2 of 2 of one suite runs none: nothing but the plan is printed
      const r = chaos(['soak', '--suites', '1', '--shard', '2/2'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^soak: seed 9, shard 2\/2: suites none of 1$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chaos doctor', () => {
  const LINE = /^(ok     |missing)  (\S+)\s+\S.*$/;

  it('prints one line per need, ok or missing with how to get it, and exits 0 exactly when a plain run has what it needs', () => {
    const r = chaos(['doctor']);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => LINE.exec(l)?.[2])).toEqual(['node', 'redis-server', 'toxiproxy-server', 'canvas', 'chromium', 'docker']);
    const required = lines.slice(0, 3).every((l) => l.startsWith('ok'));
    expect(r.code).toBe(required ? 0 : 1);
  });

  it('says how to get a missing redis-server and exits 1', () => {
    const r = chaos(['doctor'], { env: { ...process.env, REDIS_SERVER_BIN: '/nonexistent/redis-server' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^missing  redis-server .*apt-get install redis-server/m);
    expect(r.stderr).toMatch(/^doctor: `npm run chaos` needs redis-server/);
  });
});

describe('chaos setup', () => {
  it('with both tools there, says where each is and installs nothing', () => {
    const r = chaos(['setup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => /^ok {7}(\S+) +\//.exec(l)?.[1])).toEqual(['redis-server', 'toxiproxy-server']);
    expect(r.stderr).not.toMatch(/installing|building/);
  });
});
