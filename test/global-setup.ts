// After the whole suite, no redis-server, toxiproxy-server or SUT process started by it may
// still run: compare the process table with the one from before the suite.
import { randomUUID } from 'node:crypto';
import { listProcesses, OWNER_VAR } from '../harness/env/processes.ts';

// the servers, and every system process a test starts: the reference system's, the library apps', the
// kit fixture's, from source (.ts) or compiled (.js, the packed package's)
const PATTERN = 'redis-server|toxiproxy-server|system-under-test/main\\.[jt]s|examples/[a-z-]+/(producer|worker|front-door)\\.[jt]s|kit-system/(front-door|worker)\\.ts';
// every process this suite starts inherits the tag; another run on the machine does not count
const owner = `vitest-${randomUUID()}`;
process.env[OWNER_VAR] = owner;
const harnessProcesses = () => listProcesses(PATTERN, owner);

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
