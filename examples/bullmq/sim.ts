// The BullMQ application in simulation: its roles (roles.ts) on the simulation's edges (common/sim.ts).
import { librarySim } from '../common/sim.ts';
import { startProducer, startWorker } from './roles.ts';

export const bullmqSim = librarySim({ startProducer, startWorker });
