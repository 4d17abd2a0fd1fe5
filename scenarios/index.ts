import type { Scenario } from '../harness/runner/scenario.ts';
import { cancelOutage } from './cancel-outage.ts';
import { compound } from './compound.ts';
import { crashPoints } from './crash-points.ts';
import { executorCrash } from './executor-crash.ts';
import { explore } from './explore.ts';
import { frontDoor } from './front-door.ts';
import { keeperCrash } from './keeper-crash.ts';
import { keeperRace } from './keeper-race.ts';
import { latency } from './latency.ts';
import { longJobs } from './long-jobs.ts';
import { longLostReply } from './long-lost-reply.ts';
import { longOutage } from './long-outage.ts';
import { lostReply } from './lost-reply.ts';
import { mixed } from './mixed.ts';
import { partition } from './partition.ts';
import { pause } from './pause.ts';
import { redisRestart } from './redis-restart.ts';
import { redisWipe } from './redis-wipe.ts';
import { reorder } from './reorder.ts';
import { takeover } from './takeover.ts';
import { workerCrash } from './worker-crash.ts';

/** Every scenario, in the order `npm run chaos` runs them. */
export const SCENARIOS: readonly Scenario[] = [
  latency, reorder, keeperRace, workerCrash, executorCrash, keeperCrash, takeover, crashPoints, lostReply, partition, pause, redisRestart, redisWipe,
  longOutage, cancelOutage, longLostReply, frontDoor, longJobs, compound, mixed, explore,
];
