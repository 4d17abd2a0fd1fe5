import getPort from 'get-port';

/** A free loopback port. Servers bind it right away and retry on a lost race (see startWithPortRetry). */
export function freePort(): Promise<number> {
  return getPort({ host: '127.0.0.1' });
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
