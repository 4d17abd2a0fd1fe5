// The package as a user gets it (issue 23, item 1 and its first demonstration): `npm pack` (its
// prepack runs `npm run build`), the tarball installed into a fresh project outside the repository
// with its own package.json, and `npx chaos` run there: a live verdict under plain node (no tsx),
// a report, a failing simulated run whose replay line fails again the same way, and a user's
// chaos.config.ts that loads. What the harness loads is recorded in every run: fengari only for
// --sim, dockerode and testcontainers never on the local path, and nothing heavy for --help.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, PROJECT_ROOT, REDIS, TOXIPROXY } from '../../harness/env/binaries.ts';

const MINUTE = 60_000;
const HEAVY = ['canvas', 'chartjs-node-canvas', 'dockerode', 'testcontainers', 'fengari'] as const;

interface Result { code: number; stdout: string; stderr: string }

/** The environment of a user's shell: none of npm's own variables from `npm test`, no NODE_OPTIONS of vitest's. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^NODE_OPTIONS$|^VITEST|^INIT_CWD$/i.test(k)));
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, killSignal: 'SIGINT', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// Records, per process, what it loaded: the packages its ESM resolution reached (hooks thread) and
// those in the CommonJS cache at exit (canvas and fengari are required from CommonJS).
const PROBE = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
const out = process.env.CHAOS_LOAD_PROBE + '/' + process.pid + '.txt';
register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(`
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const m = /.*node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  if (m) appendFileSync(out, 'pkg ' + m[1] + '\\n');
  return r;
}`))}, { data: { out } });
const cache = createRequire(import.meta.url)('node:module')._cache;
process.on('exit', () => {
  const pkgs = Object.keys(cache).map((f) => /.*node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f)?.[1]).filter(Boolean);
  appendFileSync(out, ['argv ' + process.argv[1], ...pkgs.map((p) => 'pkg ' + p)].join('\\n') + '\\n');
});
`;

let work: string; // temp folder: the tarball and the project
let project: string;
let tarball: string;
let installStarted = 0;
let probeDir: string;
let serverEnv: NodeJS.ProcessEnv;

/** What the chaos process (the CLI itself, not npm or the system's processes) of a probed command loaded. */
function chaosLoads(): Set<string> {
  const out = new Set<string>();
  let seen = false;
  for (const file of readdirSync(probeDir)) {
    const lines = readFileSync(path.join(probeDir, file), 'utf8').split('\n');
    const argv = lines.find((l) => l.startsWith('argv '))?.slice(5) ?? '';
    if (!/\.bin\/chaos$|redis-job-chaos\/dist\/harness\/cli\/main\.js$/.test(argv)) continue;
    seen = true;
    for (const l of lines) if (l.startsWith('pkg ')) out.add(l.slice(4));
  }
  expect(seen, 'the load probe saw the chaos process').toBe(true);
  rmSync(probeDir, { recursive: true, force: true });
  mkdirSync(probeDir);
  return out;
}

/** `npx chaos ...` in the fresh project, with the load probe. */
function chaos(args: string[], timeoutMs = 5 * MINUTE): Promise<Result> {
  return run('npx', ['--no-install', 'chaos', ...args], project, userEnv({ ...serverEnv, NODE_OPTIONS: `--import=${pathToFileURL(path.join(work, 'probe.mjs')).href}`, CHAOS_LOAD_PROBE: probeDir }), timeoutMs);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'chaos-pack-'));
  const packed = await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], PROJECT_ROOT, userEnv(), 20 * MINUTE);
  expect(packed.code, packed.stderr + packed.stdout).toBe(0);
  tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  console.log(`tarball: ${path.basename(tarball)}, ${(statSync(tarball).size / 1024).toFixed(0)} KiB`);

  project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-job-system', version: '1.0.0', private: true, type: 'module' }, null, 2));
  probeDir = path.join(work, 'loads');
  mkdirSync(probeDir);
  writeFileSync(path.join(work, 'probe.mjs'), PROBE);
  const redis = findBinary(REDIS);
  const toxiproxy = findBinary(TOXIPROXY);
  if (!redis || !toxiproxy) throw new Error('redis-server and toxiproxy-server are needed (npm run bootstrap)');
  serverEnv = { REDIS_SERVER_BIN: redis, TOXIPROXY_SERVER_BIN: toxiproxy };

  installStarted = Date.now();
  const installed = await run('npm', ['install', '-D', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], project, userEnv(), 20 * MINUTE);
  expect(installed.code, installed.stderr + installed.stdout).toBe(0);
  console.log(`npm install of the tarball: ${((Date.now() - installStarted) / 1000).toFixed(1)} s`);
}, 40 * MINUTE);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package in a fresh project', () => {
  it('installs without tsx, vitest or typescript', () => {
    const modules = path.join(project, 'node_modules');
    expect(existsSync(path.join(modules, 'redis-job-chaos', 'dist', 'harness', 'cli', 'main.js'))).toBe(true);
    for (const dev of ['tsx', 'vitest', 'typescript']) expect(existsSync(path.join(modules, dev)), `${dev} in node_modules`).toBe(false);
    const files = readdirSync(path.join(modules, 'redis-job-chaos'));
    expect(files.sort()).toEqual(['README.md', 'dist', 'harness', 'package.json']);
  });

  it('exports the instrumentation kit as redis-job-chaos/instrument, which loads nothing else of the harness', async () => {
    const probe = "const m = await import('redis-job-chaos/instrument'); console.log(typeof m.instrument, typeof m.runPayload, m.evidenceKeys('shop:').executions)";
    const r = await run(process.execPath, ['--input-type=module', '-e', probe], project, userEnv(), MINUTE);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('function function shop:executions');
  });

  it('chaos doctor and chaos setup: with nothing installed, one line per missing tool with what installs it (exit 1); with everything, exit 0 and nothing installed', async () => {
    const bin = path.join(project, 'node_modules', 'redis-job-chaos', 'dist', 'harness', 'cli', 'main.js');
    // no PATH, an empty cache folder, no binaries named: a machine with nothing of the harness's
    const bare = { PATH: '/nonexistent', HOME: work, XDG_CACHE_HOME: mkdtempSync(path.join(work, 'cache-')) };
    const doctor = await run(process.execPath, [bin, 'doctor'], project, bare, MINUTE);
    expect(doctor.code, doctor.stderr).toBe(1);
    expect(doctor.stdout).toMatch(/^missing  redis-server .*apt-get install redis-server.*npx chaos setup/m);
    expect(doctor.stdout).toMatch(/^missing  toxiproxy-server .*go install .*npx chaos setup/m);
    const setup = await run(process.execPath, [bin, 'setup'], project, bare, MINUTE);
    expect(setup.code, setup.stderr).toBe(1);
    expect(setup.stdout).toMatch(/^missing  redis-server /m);
    expect(setup.stderr.trim().split('\n')).toHaveLength(1);
    expect(setup.stderr).toMatch(/^setup: redis-server not found: .*--apt/);
    // everything there (named by the variables): both exit 0, and setup installs nothing
    for (const sub of ['doctor', 'setup']) {
      const r = await run(process.execPath, [bin, sub], project, { ...bare, ...serverEnv }, MINUTE);
      expect(r.code, `${sub}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^ok {7}redis-server /m);
      expect(r.stderr).not.toMatch(/installing|building/);
    }
  });

  it('chaos --help loads none of the heavy parts', async () => {
    const r = await chaos(['--help'], MINUTE);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/doctor/);
    const loaded = chaosLoads();
    expect(HEAVY.filter((p) => loaded.has(p))).toEqual([]);
  });

  it('a live run gives a verdict, a report, under plain node: no tsx, and no docker or simulation modules', async () => {
    const r = await chaos(['--scenario', 'reorder', '--runs', '3', '--seed', '2', '--ci']);
    console.log(`install to first verdict: ${((Date.now() - installStarted) / 1000).toFixed(1)} s`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/^\[reorder\] PASS: 3 runs/m);
    const dir = /^report: (.*)\/index\.html$/m.exec(r.stdout + r.stderr)?.[1];
    expect(dir).toBeDefined();
    expect(path.dirname(dir!)).toBe(path.join(project, 'reports'));
    for (const f of ['index.html', 'summary.json', 'junit.xml']) expect(existsSync(path.join(dir!, f)), f).toBe(true);
    const loaded = chaosLoads();
    for (const p of ['tsx', 'jiti', 'fengari', 'dockerode', 'testcontainers']) expect(loaded.has(p), p).toBe(false);
    // the html report draws its charts: the renderer is loaded then, and only then
    expect(loaded.has('chartjs-node-canvas')).toBe(true);
  }, 10 * MINUTE);

  it('a simulated failure prints a replay line that, run there, fails again the same way', async () => {
    const r = await chaos(['--sim', '--scenario', 'reorder', '--runs', '2', '--seed', '1', '--bugs', 'lww-status', '--ci']);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const loaded = chaosLoads();
    expect(loaded.has('fengari')).toBe(true);
    for (const p of ['tsx', 'dockerode', 'testcontainers']) expect(loaded.has(p), p).toBe(false);
    const out = r.stdout + r.stderr;
    const replay = /^ {2}replay: (.*)$/m.exec(out)?.[1];
    expect(replay).toBeDefined();
    // the counterexample: its schedule, its workload and what each checker found
    const counterexample = (text: string) => /Minimal schedule[^\n]*\n([\s\S]*?)\n {2}replay:/.exec(text)?.[1];
    expect(counterexample(out)).toMatch(/terminalStable: \d+ violations?/);
    // the replay line as printed: the installed bin (`npx chaos ...`)
    expect(replay).toMatch(/^npx chaos --sim /);
    const again = await run('sh', ['-c', `${replay} --ci`], project, userEnv(serverEnv), 5 * MINUTE);
    expect(again.code, again.stderr + again.stdout).toBe(1);
    expect(counterexample(again.stdout + again.stderr)).toBe(counterexample(out));
  }, 10 * MINUTE);

  it("loads the project's chaos.config.ts (TypeScript that imports the package) without tsx", async () => {
    writeFileSync(path.join(project, 'chaos.config.ts'), [
      "import { defineConfig, builtinScenarios, type ChaosConfig } from 'redis-job-chaos';",
      "const scenarios: ChaosConfig['scenarios'] = builtinScenarios.filter((name: string) => name === 'reorder');",
      'export default defineConfig({ seed: 8, scenarios, sim: true, runs: 1, reportDir: "out" });',
      '',
    ].join('\n'));
    const r = await chaos(['--ci']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/^chaos: seed 8, scenarios reorder$/m);
    expect(r.stdout + r.stderr).toMatch(/^\[reorder\] PASS: 1 runs/m);
    expect(existsSync(path.join(project, 'out'))).toBe(true);
    const loaded = chaosLoads();
    expect(loaded.has('jiti')).toBe(true);
    expect(loaded.has('tsx')).toBe(false);
  }, 10 * MINUTE);

  it("loads a config's own scenario, checker and fault kind (test/fixtures/own-harness, importing the package by name) through jiti", async () => {
    const fixture = path.join(PROJECT_ROOT, 'test', 'fixtures', 'own-harness');
    const own = path.join(project, 'own');
    for (const file of ['scenarios/flapping-worker.ts', 'checkers/jobs-in-snapshot.ts', 'faults/link-flap.ts']) {
      mkdirSync(path.dirname(path.join(own, file)), { recursive: true });
      writeFileSync(path.join(own, file), readFileSync(path.join(fixture, file), 'utf8').replaceAll("'../../../../harness/index.ts'", "'redis-job-chaos'"));
    }
    writeFileSync(path.join(own, 'chaos.config.ts'), [
      "import { defineConfig } from 'redis-job-chaos';",
      'export default defineConfig({',
      "  seed: 1, sim: true, runs: 3, reportDir: 'out',",
      "  scenarios: ['./scenarios/flapping-worker.ts'], checkers: ['./checkers/jobs-in-snapshot.ts'], faultKinds: ['./faults/link-flap.ts'],",
      '});',
      '',
    ].join('\n'));
    const r = await chaos(['--config', 'own/chaos.config.ts', '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const summary = JSON.parse(r.stdout) as { scenarios: { scenario: string; verdict: string; runs: number }[] };
    expect(summary.scenarios.map((s) => [s.scenario, s.verdict, s.runs])).toEqual([['flapping-worker', 'pass', 3]]);
    chaosLoads();
  }, 10 * MINUTE);

  it('runs an example system of its own (examples/node-resque, importing the package by name): a verdict, a report, and its finding replayed from the replay line', async () => {
    // the team's folder as they would have it: the example's files, importing the package and its kit by name
    const team = path.join(project, 'node-resque');
    mkdirSync(team);
    for (const file of readdirSync(path.join(PROJECT_ROOT, 'examples', 'node-resque')).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(path.join(PROJECT_ROOT, 'examples', 'node-resque', file), 'utf8')
        .replaceAll("'../../harness/instrument/index.ts'", "'redis-job-chaos/instrument'")
        .replaceAll("'../../harness/index.ts'", "'redis-job-chaos'");
      expect(text, file).not.toMatch(/\.\.\/\.\.\//);
      writeFileSync(path.join(team, file), text);
    }
    // its own dependencies: the queue library, and tsx its config runs its processes under
    const deps = await run('npm', ['install', '-D', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', 'node-resque@9.7.1', 'tsx'], project, userEnv(), 20 * MINUTE);
    expect(deps.code, deps.stderr + deps.stdout).toBe(0);
    const config = ['--config', 'node-resque/chaos.config.ts'];

    const pass = await chaos([...config, '--scenario', 'latency', '--runs', '2', '--seed', '11', '--ci']);
    expect(pass.code, pass.stderr + pass.stdout).toBe(0);
    expect(pass.stdout + pass.stderr).toMatch(/^chaos: system node-resque, seed 11, scenarios latency$/m);
    expect(pass.stdout + pass.stderr).toMatch(/^\[latency\] PASS: 2 runs/m);
    const dir = /^report: (.*)\/index\.html$/m.exec(pass.stdout + pass.stderr)?.[1];
    expect(dir && existsSync(path.join(dir, 'index.html'))).toBe(true);
    expect(chaosLoads().has('jiti')).toBe(true);

    // finding 1 of its README, replayed as printed there, through the installed bin
    const replay = await chaos([...config, '--system', 'node-resque', '--scenario', 'worker-crash', '--seed', '11', '--path', '3', '--json'], 10 * MINUTE);
    expect(replay.code, replay.stderr).toBe(1);
    const summary = JSON.parse(replay.stdout) as { scenarios: { scenario: string; verdict: string; failure?: { replay: string; violations: { checker: string; evidence: string[] }[] } }[] };
    const [crash] = summary.scenarios;
    expect(crash).toMatchObject({ scenario: 'worker-crash', verdict: 'fail' });
    expect(crash!.failure!.replay).toBe('npx chaos --config node-resque/chaos.config.ts --system node-resque --scenario worker-crash --seed 11 --path 3');
    // what it found again: a job whose payload exits 0 ended failed (timeout) after the retry changed its arguments
    expect(crash!.failure!.violations.map((v) => v.checker)).toContain('payloadOutcome');
    chaosLoads();
  }, 20 * MINUTE);

  it('without the optional chart packages (npm install --omit=optional), the report has no charts and says why in one line', async () => {
    for (const p of ['canvas', 'chartjs-node-canvas']) rmSync(path.join(project, 'node_modules', p), { recursive: true, force: true });
    const r = await chaos(['--sim', '--scenario', 'reorder', '--runs', '1', '--seed', '8', '--ci', '--report-dir', 'no-charts']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const line = /^report: (\S+) \(charts missing: (.*)\)$/m.exec(r.stdout + r.stderr);
    expect(line?.[2]).toMatch(/^the chart renderer \(canvas, chartjs-node-canvas\) did not load: Cannot find package '(canvas|chartjs-node-canvas)'$/);
    const page = readFileSync(line![1]!, 'utf8');
    expect(page).not.toContain('<img class="chart"');
    expect(page).toContain('npm install canvas chartjs-node-canvas');
  }, 10 * MINUTE);
});
