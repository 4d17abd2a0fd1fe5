// The front door of the BullMQ application: the client API over HTTP (common/app.ts
// serveFrontDoor) on the producer role (roles.ts startProducer: a BullMQ Queue that adds jobs and
// reads them back).

import { dialPort, lifecycle, log, parseArgs, ready, serveFrontDoor } from '../common/app.ts';
import { startProducer, type Role } from './roles.ts';

const args = parseArgs();
let role: Role | undefined;
let server: { close(): Promise<void> } | undefined;
lifecycle(args.id, async () => {
  await server?.close();
  await role?.close();
});

async function main(): Promise<void> {
  const producer = await startProducer({ id: args.id, dial: dialPort(args.redisPort), log: (line) => log(args.id, line) });
  role = producer;
  const door = await serveFrontDoor(args.httpPort, producer.door);
  server = door;
  ready('producer', args.id, { port: door.port });
}

main().catch((err: unknown) => {
  log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
