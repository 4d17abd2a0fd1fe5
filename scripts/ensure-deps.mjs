// Runs before `npm run chaos` and `npm test`, so either works as the first command on a
// fresh clone: installs node_modules when missing, then the servers (redis-server, toxiproxy-server).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 2);
};

if (!existsSync('node_modules/.package-lock.json') || !existsSync('node_modules/tsx')) {
  console.error('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
}
run(process.execPath, ['--import', 'tsx', 'harness/cli/bootstrap.ts', ...process.argv.slice(2)]);
