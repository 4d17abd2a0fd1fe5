// The planted bugs of the reference system (DESIGN.md) and, next to each, the scenarios meant to
// catch it and the checkers expected to fire. `npm run chaos -- verify` proves each is caught.

export interface PlantedBug {
  name: string;
  /** the mistake from the seed notes it reproduces */
  mistake: string;
  /** tried in order until one catches the bug */
  scenarios: string[];
  /** at least one of these checkers must report the violation */
  checkers: string[];
  keepers?: number;
  /** runs per scenario before the bug counts as escaped */
  runs: number;
}

export const PLANTED_BUGS: readonly PlantedBug[] = [
  {
    name: 'lww-status',
    mistake: 'the keeper writes whatever status arrives last: a late running overwrites completed',
    scenarios: ['reorder'], checkers: ['terminalStable'], runs: 10,
  },
  {
    name: 'check-then-set',
    mistake: "the seed's fix as written: read the status, return if terminal, else write — two keepers race between the read and the write",
    // reorder alone rarely times a second keeper's decision into the first one's read-write
    // gap; keeper-race (every keeper slowed, payloads as long as the delay) does it in most runs
    scenarios: ['keeper-race', 'reorder'], checkers: ['terminalStable'], keepers: 2, runs: 10,
  },
  {
    name: 'pubsub-events',
    mistake: 'events over Redis pub/sub: a keeper that is down or cut off never sees them',
    scenarios: ['keeper-crash', 'partition'], checkers: ['totalQueue', 'runningSetConsistent'], keepers: 1, runs: 10,
  },
  {
    name: 'brpop-queue',
    mistake: 'LPUSH/BRPOP list queue (seed 004): the job leaves Redis when a worker pops it, a crash loses it',
    scenarios: ['worker-crash'], checkers: ['totalQueue'], runs: 10,
  },
  {
    name: 'no-reclaim',
    mistake: "a stream consumer group without XAUTOCLAIM: a crashed worker's job stays pending forever",
    scenarios: ['worker-crash'], checkers: ['totalQueue'], runs: 10,
  },
  {
    name: 'ack-before-run',
    mistake: 'the worker acks the job before the executor has finished: a crash in between loses it',
    scenarios: ['worker-crash'], checkers: ['totalQueue'], runs: 10,
  },
  {
    name: 'heartbeat-status',
    mistake: "the lease heartbeat also writes the job's status (HSET state running) outside the keeper: a late heartbeat overwrites a finished job, and the transition log never records it",
    // a worker paused past its lease wakes with its heartbeat overdue, after another worker
    // finished the job; only the reads and the snapshot can see the write
    scenarios: ['pause'], checkers: ['terminalStable'], runs: 10,
  },
  {
    name: 'write-behind-submit',
    mistake: 'the orchestrator answers 201 at once and writes the task in a background batch: a crash in between loses a task it acknowledged',
    scenarios: ['front-door'], checkers: ['totalQueue'], runs: 10,
  },
  {
    name: 'null-exit-as-success',
    mistake: 'the executor reads the exit code as `code ?? 0`: a payload killed at its timeout (no exit code) is reported completed',
    // the default workloads hang one payload in ten past its timeout
    scenarios: ['latency'], checkers: ['payloadOutcome'], runs: 10,
  },
  {
    name: 'lease-not-extended',
    mistake: 'the worker never extends its lease while a job runs: a job longer than the lease is reclaimed and run again although nothing failed',
    scenarios: ['long-jobs'], checkers: ['reexecution'], runs: 6,
  },
  {
    name: 'idempotency-check-then-insert',
    mistake: 'the orchestrator looks the Idempotency-Key up, then writes the task in a second round trip: two requests with one key arriving together create two tasks',
    // front-door's clients send one key from two places at once, and retry or hedge while the
    // first attempt is in flight
    scenarios: ['front-door'], checkers: ['totalQueue'], runs: 10,
  },
];
