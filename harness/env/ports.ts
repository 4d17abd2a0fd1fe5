import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import getPort from 'get-port';
import { EnvironmentError } from './errors.ts';
import { oneLine } from '../text/oneLine.ts';

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

export interface FreePortOptions {
  /** where to pick from (default serverPortRange()) */
  range?: [number, number];
  /** random candidates per round (default 32) */
  candidates?: number;
  /** rounds of fresh candidates before giving up (default 4) */
  rounds?: number;
  /** the first free port among the candidates, or undefined when every one is taken (default: get-port on 127.0.0.1) */
  probe?: (candidates: number[]) => Promise<number | undefined>;
}

/**
 * get-port tries the candidates in turn and, when every one is taken, hands out a port the
 * kernel picks, which lies in the ephemeral range: that one is not taken here.
 */
async function firstFreeAmong(candidates: number[]): Promise<number | undefined> {
  const port = await getPort({ host: '127.0.0.1', port: candidates });
  return candidates.includes(port) ? port : undefined;
}

/**
 * A free loopback port outside the ephemeral range, picked at random so that two harnesses on
 * one machine rarely try the same one. Servers bind it right away and retry on a lost race
 * (see startWithPortRetry). Never a port outside the range: when every candidate is taken it
 * tries fresh ones a few times, then throws an EnvironmentError.
 */
export async function freePort(o: FreePortOptions = {}): Promise<number> {
  const [from, to] = o.range ?? serverPortRange();
  const count = o.candidates ?? 32;
  const rounds = o.rounds ?? 4;
  const probe = o.probe ?? firstFreeAmong;
  for (let round = 0; round < rounds; round++) {
    const port = await probe(Array.from({ length: count }, () => randomInt(from, to + 1)));
    if (port !== undefined && port >= from && port <= to) return port;
  }
  throw new EnvironmentError(`no free port in ${from}-${to} (server ports stay outside the ephemeral range): ${rounds * count} random ones were all taken`);
}

/** Start something on a fresh port, trying again when another process took the port first. */
export async function startWithPortRetry<T>(start: (port: number) => Promise<T>, attempts = 5, pick: () => Promise<number> = () => freePort()): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    // no free port at all is not a lost race: it fails at once
    const port = await pick();
    try {
      return await start(port);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** A server could not bind its port because something else holds it (EADDRINUSE). */
export class PortTakenError extends EnvironmentError {
  constructor(message: string, readonly port: number) {
    super(message);
    this.name = 'PortTakenError';
  }
}

/**
 * Start a server again on the port it had (Redis after a restart): clients and links know only
 * that port, so it cannot move. When something holds the port for a moment (start throws a
 * PortTakenError), wait `backoffMs` and try the same port again, up to `attempts` times; then
 * an EnvironmentError with one line. Any other failure is thrown at once.
 */
export async function rebindWithRetry<T>(what: string, port: number, start: () => Promise<T>, { attempts = 5, backoffMs = 200 } = {}): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof PortTakenError)) throw err;
      if (i >= attempts) {
        throw new EnvironmentError(`${what} could not bind its port ${port} again: still taken after ${attempts} attempts ${backoffMs} ms apart (${oneLine(err)})`);
      }
    }
    await new Promise((r) => setTimeout(r, backoffMs));
  }
}
