// The containers of this engine on a network (by lease), with their names.
import type { Engine } from '../../../engine/engine.js';

export function usersOf(e: Engine, network: string) {
  return e.networks.store.users(network).map((u) => {
    let name = '';
    try {
      name = e.store.readConfig(u.containerId).name;
    } catch {
      /* not ours */
    }
    return { ...u, name };
  });
}
