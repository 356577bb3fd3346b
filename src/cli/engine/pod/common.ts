// What the `hako pod …` commands share: the engine's pods (src/engine/pods.ts).
import { Pods } from '../../../engine/pods.js';
import { engineOf, type EngineContext } from '../common.js';

export function podsOf(ctx: EngineContext): Pods {
  return new Pods(engineOf(ctx));
}
