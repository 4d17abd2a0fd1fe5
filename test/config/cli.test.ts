// The config file end to end: found in the working directory (chaos.config.ts before .mjs), named
// with --config, every failure one line and exit 2, and the replay command that names it replays.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../harness/env/binaries.ts';

const project = path.resolve(fileURLToPath(import.meta.url), '../../..');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const main = path.join(project, 'harness/cli/main.ts');
const index = pathToFileURL(path.join(project, 'harness/index.ts')).href;

/** chaos run in cwd, as `npm run chaos` runs it (under tsx) */
function chaos(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--import', tsx, main, '--ci', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const oneLine = (stderr: string) => {
  expect(stderr.split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\bat .*:\d+/);
};

describe('chaos.config in the working directory', () => {
  it('finds chaos.config.mjs and runs with its options', () => {
    const dir = dirWith({ 'chaos.config.mjs': 'export default { sim: true, scenarios: ["reorder"], runs: 1, seed: 11, reportDir: "out" };\n' });
    const r = chaos(dir, ['--json']);
    // one run may leave the scenario's coverage goal unmet (exit 1): the verdict is not the point here
    expect([0, 1], r.stderr).toContain(r.code);
    expect(r.stderr).toMatch(/^chaos: seed 11, scenarios reorder/m);
    const summary = JSON.parse(r.stdout);
    expect(summary.seed).toBe(11);
    expect(summary.scenarios.map((s: { scenario: string; runs: number }) => [s.scenario, s.runs])).toEqual([['reorder', 1]]);
    expect(r.stderr).toMatch(/^report: \S*out\/\S*seed11\/index\.html/m);
  });

  it('takes chaos.config.ts (written with defineConfig from the entry point) before chaos.config.mjs, and the command line over both', () => {
    const dir = dirWith({
      'chaos.config.ts': `import { defineConfig, type ChaosConfig } from '${index}';\nconst seed: number = 12;\nconst config: ChaosConfig = { sim: true, scenarios: ['reorder'], runs: 1, seed, reportDir: 'out' };\nexport default defineConfig(config);\n`,
      'chaos.config.mjs': 'export default { runs: 0 };\n',
    });
    const r = chaos(dir, ['--json', '--seed', '13']);
    expect([0, 1], r.stderr).toContain(r.code);
    expect(r.stderr).toMatch(/^chaos: seed 13, scenarios reorder/m);
    expect(JSON.parse(r.stdout).seed).toBe(13);
  });

  it('a bad value in the found file: one line naming the file and the key, exit 2', () => {
    const dir = dirWith({ 'chaos.config.mjs': 'export default { runs: 0 };\n' });
    const r = chaos(dir, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('chaos: chaos.config.mjs: runs: must be an integer from 1 to 100000, got 0');
  });

  it('a check of the merged options names the file', () => {
    // a project's config that names its own system (here the node-resque example's, which has no simulated form) and selects it
    const config = path.join(PROJECT_ROOT, 'examples', 'node-resque', 'chaos.config.ts');
    const dir = dirWith({ 'chaos.config.mjs': `export { default } from ${JSON.stringify(config)};\n` });
    const r = chaos(dir, ['--sim']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chaos: --sim needs a system with a simulated form \(reference\): drop --sim for --system node-resque \(options from chaos\.config\.mjs and the command line\)/);
    oneLine(r.stderr);
  });

  it('--help needs no config, even a broken one', () => {
    const dir = dirWith({ 'chaos.config.ts': 'export default {\n' });
    const r = spawnSync(process.execPath, ['--import', tsx, main, '--help'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--config <file>');
  });
});

describe('chaos --config', () => {
  it('a missing file is a usage error: one line, exit 2', () => {
    const r = chaos(dirWith({}), ['--config', 'missing.ts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('chaos: --config missing.ts: no such file');
  });

  it('a syntax error: one line, exit 2', () => {
    const dir = dirWith({ 'conf/broken.ts': 'const x = ;\nexport default {};\n' });
    const r = chaos(dir, ['--config', 'conf/broken.ts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chaos: conf\/broken\.ts: could not be loaded: .*conf\/broken\.ts:1:\d+: ERROR: /);
    oneLine(r.stderr);
  });

  it('a file that throws, or has no default export: one line, exit 2', () => {
    const dir = dirWith({ 'throws.mjs': 'throw new Error("no\\nway");\n', 'none.mjs': 'export const runs = 1;\n' });
    const a = chaos(dir, ['--config', 'throws.mjs']);
    expect(a.code).toBe(2);
    expect(a.stderr).toBe('chaos: throws.mjs: could not be loaded: no');
    const b = chaos(dir, ['--config', 'none.mjs']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^chaos: none\.mjs: has no default export/);
    oneLine(b.stderr);
  });

  it('names the file in the replay command, and the replay replays the failure', () => {
    const dir = dirWith({ 'conf/chaos.config.mjs': 'export default { sim: true, scenarios: ["reorder"], runs: 10, seed: 4, bugs: ["lww-status"], reportDir: "out" };\n' });
    const r = chaos(dir, ['--config', 'conf/chaos.config.mjs', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const replay = /replay: npm run chaos -- (.*)/.exec(r.stderr)?.[1];
    expect(replay).toMatch(/^--config conf\/chaos\.config\.mjs --sim --scenario reorder --seed 4 --path \S+ --bugs lww-status$/);
    expect(JSON.parse(r.stdout).scenarios[0].failure.replay).toBe(`npm run chaos -- ${replay}`);
    const again = chaos(dir, replay!.split(' '));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`replay: npm run chaos -- ${replay}`);
  });
});
