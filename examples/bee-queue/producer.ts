// The front door of the bee-queue application: the client API over HTTP (common/app.ts
// serveFrontDoor) on the producer role (roles.ts startProducer: a bee-queue Queue that adds jobs
// and reads them back).
import { producerMain } from '../common/app.ts';
import { startProducer } from './roles.ts';

producerMain(startProducer);
