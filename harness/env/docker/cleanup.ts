// Every container and volume of the docker environment carries the harness's labels (owner tag,
// pid, host). Ryuk (testcontainers' reaper) is an image to pull, so the harness cleans up itself:
// its own on every exit path, and at start those of harnesses that are gone (SIGKILLed).
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { OWNER_VAR, pidAlive } from '../processes.ts';

export const LABELS = {
  harness: 'chaos.harness',
  owner: 'chaos.harness.owner',
  pid: 'chaos.harness.pid',
  host: 'chaos.harness.host',
} as const;

/** This harness's labels: the owner tag (processes.ts OWNER_VAR, or this pid), the pid and host whose end frees them. */
export function ownLabels(): Record<string, string> {
  return {
    [LABELS.harness]: 'docker-env',
    [LABELS.owner]: process.env[OWNER_VAR] ?? `pid-${process.pid}`,
    [LABELS.pid]: String(process.pid),
    [LABELS.host]: hostname(),
  };
}

const filter = (labels: string[]) => JSON.stringify({ label: labels });

/** Remove the containers and volumes labelled with `pid` (default: this harness). */
export async function removeOwned(docker: Docker, pid = process.pid): Promise<number> {
  const mine = [`${LABELS.pid}=${pid}`, `${LABELS.host}=${hostname()}`];
  const containers = await docker.listContainers({ all: true, filters: filter(mine) });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const { Volumes } = await docker.listVolumes({ filters: filter(mine) });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
  return containers.length;
}

/** Containers and volumes of harnesses on this host that are gone (pid no longer alive): removed. */
export async function removeOrphans(docker: Docker): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: filter([LABELS.pid, `${LABELS.host}=${hostname()}`]) });
  const { Volumes } = await docker.listVolumes({ filters: filter([LABELS.pid, `${LABELS.host}=${hostname()}`]) });
  const gone = new Set<number>();
  for (const labels of [...containers.map((c) => c.Labels), ...(Volumes ?? []).map((v) => v.Labels ?? {})]) {
    const pid = Number(labels[LABELS.pid]);
    if (pid && pid !== process.pid && !pidAlive(pid)) gone.add(pid);
  }
  let removed = 0;
  for (const pid of gone) removed += await removeOwned(docker, pid);
  return removed;
}

/** The last resort from a synchronous exit hook: the docker CLI removes this harness's containers and volumes. */
export function removeOwnedSync(host: string): void {
  const env = { ...process.env, DOCKER_HOST: host };
  const label = `label=${LABELS.pid}=${process.pid}`;
  const run = (args: string[]) => spawnSync('docker', args, { encoding: 'utf8', env, timeout: 15_000 });
  const ids = (run(['ps', '-aq', '--filter', label]).stdout ?? '').split('\n').filter(Boolean);
  if (ids.length) run(['rm', '-f', '-v', ...ids]);
  const vols = (run(['volume', 'ls', '-q', '--filter', label]).stdout ?? '').split('\n').filter(Boolean);
  if (vols.length) run(['volume', 'rm', '-f', ...vols]);
}
