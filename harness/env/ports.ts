import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import getPort from 'get-port';

const DEFAULT_EPHEMERAL: [number, number] = [32768, 60999];

/** The range the kernel takes the local port of an outgoing connection from. */
export function ephemeralRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  try {
    const [lo, hi] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo! > 0 && hi! >= lo!) return [lo!, hi!];
  } catch {
    /* not Linux, or not readable: the kernel's default */
  }
  return DEFAULT_EPHEMERAL;
}

/**
 * Where server ports are picked: outside the ephemeral range. A server the harness brings back
 * binds its old port again (the orchestrator after a crash, Redis after a restart, a link after
 * a partition), and while it is down any outgoing connection on the machine may be given that
 * port as its local port if it lies in the ephemeral range; the server then cannot bind it
 * (seen in CI: the orchestrator's restart failed with EADDRINUSE).
 */
export function serverPortRange([lo, hi]: [number, number] = ephemeralRange()): [number, number] {
  if (lo - 1 - 10_000 >= 2000) return [10_000, lo - 1];
  if (65_535 - (hi + 1) >= 2000) return [hi + 1, 65_535];
  return [1024, 65_535]; // no room outside it: any free port
}

/**
 * A free loopback port outside the ephemeral range, picked at random so that two harnesses on
 * one machine rarely try the same one. Servers bind it right away and retry on a lost race
 * (see startWithPortRetry).
 */
export function freePort(): Promise<number> {
  const [from, to] = serverPortRange();
  const candidates = Array.from({ length: 32 }, () => randomInt(from, to + 1));
  return getPort({ host: '127.0.0.1', port: candidates });
}

/** Start something on a fresh port, trying again when another process took the port first. */
export async function startWithPortRetry<T>(start: (port: number) => Promise<T>, attempts = 5, pick: () => Promise<number> = freePort): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start(await pick());
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
