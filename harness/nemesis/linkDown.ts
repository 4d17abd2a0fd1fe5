import type { Fault, FaultModule } from './types.ts';

/** A partition of one link: the proxy is disabled, its connections closed, new ones refused. */
export const linkDown: FaultModule<Extract<Fault, { kind: 'down' }>> = {
  async inject(env, fault) {
    const { proxy } = env.link(fault.link);
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
  },
  async heal(env, fault) {
    const { proxy } = env.link(fault.link);
    await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
  },
};
