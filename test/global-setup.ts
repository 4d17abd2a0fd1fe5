// After the whole suite, no redis-server, toxiproxy-server or SUT process started by it may
// still run: compare the process table with the one from before the suite.
import { execFileSync } from 'node:child_process';

const PATTERN = 'redis-server|toxiproxy-server|system-under-test/main.ts';

function harnessProcesses(): Map<number, string> {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-a', '-f', PATTERN], { encoding: 'utf8' });
  } catch {
    /* pgrep exits 1 when nothing matches */
  }
  const found = new Map<number, string>();
  for (const line of out.trim().split('\n').filter(Boolean)) {
    const [pid, ...cmd] = line.split(' ');
    if (!cmd.join(' ').includes('pgrep')) found.set(Number(pid), cmd.join(' '));
  }
  return found;
}

let before = new Map<number, string>();

export function setup(): void {
  before = harnessProcesses();
}

export async function teardown(): Promise<void> {
  // processes killed at the very end of the last file may take a moment to be reaped
  let leaked: string[] = [];
  for (let i = 0; i < 20; i++) {
    const now = harnessProcesses();
    leaked = [...now].filter(([pid]) => !before.has(pid)).map(([pid, cmd]) => `${pid} ${cmd}`);
    if (leaked.length === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the test suite left processes running:\n${leaked.join('\n')}`);
}
