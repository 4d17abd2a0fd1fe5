// The names of a system's parts, the same in every environment (local, docker, simulated): its
// processes and the links a fault can hit (PROTOCOL.md, "Processes").

export function workerIds(workers: number): string[] {
  return Array.from({ length: workers }, (_, i) => `worker-${i + 1}`);
}

export function keeperIds(keepers: number): string[] {
  return Array.from({ length: keepers }, (_, i) => `keeper-${i + 1}`);
}

/** One link per process, plus `executor` (shared by the executors) and `client` (to the orchestrator's API). */
export function linkNames(workers: number, keepers: number): string[] {
  return ['orchestrator', ...workerIds(workers), 'executor', ...keeperIds(keepers), 'client'];
}
