// Runs before `npm run chaos` and `npm test`, so either works as the first command on a fresh
// clone: Debian packages (redis-server; cairo & co. that the chart renderer `canvas` builds
// against; chromium for the report's browser test; docker.io for the docker environment when
// there is no engine), then node_modules, then toxiproxy-server.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const APT_PACKAGES = [
  'redis-server',
  'libcairo2-dev', 'libpango1.0-dev', 'libjpeg-dev', 'libgif-dev', 'librsvg2-dev', 'fonts-dejavu-core',
  'chromium',
];
const quiet = process.argv.includes('--quiet');

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', ...opts });
const installed = (pkg) => spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed');

const hasApt = spawnSync('sh', ['-c', 'command -v apt-get && command -v dpkg-query'], { stdio: 'ignore' }).status === 0;
// the docker environment (--env docker, and its test in `npm test`) needs an engine: Debian's
// docker.io unless the user has one of their own (DOCKER_HOST, a daemon socket, dockerd on PATH);
// the harness starts dockerd itself when it is needed (harness/env/docker/engine.ts)
const hasEngine = Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock')
  || spawnSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' }).status === 0;
if (!hasEngine) APT_PACKAGES.push('docker.io');
if (hasApt) {
  const missing = APT_PACKAGES.filter((p) => !installed(p));
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      console.error(`missing Debian packages: ${missing.join(' ')} — install them with: sudo apt-get install -y ${missing.join(' ')}`);
      process.exit(2);
    }
    console.error(`installing ${missing.join(' ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    if (run('apt-get', ['install', '-y', '-qq', ...missing], { env }).status !== 0) {
      console.error(`apt-get install ${missing.join(' ')} failed`);
      process.exit(2);
    }
  }
}

// a dependency added to package.json since node_modules was installed (a pull) needs `npm ci` too
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const missingModules = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => !existsSync(`node_modules/${name}/package.json`));
if (!existsSync('node_modules/.package-lock.json') || !existsSync('node_modules/tsx') || missingModules.length > 0) {
  console.error('installing npm dependencies (npm ci)');
  if (run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' }).status !== 0) process.exit(2);
}
const r = run(process.execPath, ['--import', 'tsx', 'harness/cli/bootstrap.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 2);
