// `hako pod inspect POD…`: pods as podman's JSON (or a --format template each).
import { renderTemplate } from '../../../engine/format.js';
import type { Pods, PodConfig } from '../../../engine/pods.js';
import type { Engine } from '../../../engine/engine.js';
import type { Command } from '../../command.js';
import { each, engineOf, need, type EngineContext } from '../common.js';
import { podsOf } from './common.js';

async function doc(pods: Pods, e: Engine, p: PodConfig): Promise<Record<string, unknown>> {
  const infra = (await e.list()).find((c) => c.config.id === p.infraId);
  const net = infra ? e.networks.state(e.store.containerDir(p.infraId)) : undefined;
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const m of net?.ports ?? []) (ports[`${m.containerPort}/${m.protocol}`] ??= []).push({ HostIp: m.hostIP, HostPort: String(m.hostPort) });
  const members = await pods.members(p);
  return {
    Id: p.id,
    Name: p.name,
    Created: p.created,
    State: await pods.status(p),
    Hostname: p.hostname,
    Labels: p.labels,
    CreateInfra: true,
    InfraContainerID: p.infraId,
    SharedNamespaces: ['ipc', 'net', 'uts'],
    NumContainers: members.length + 1,
    InfraConfig: { PortBindings: ports, Networks: [p.network || 'bridge'], Publish: p.publish },
    Containers: [...(infra ? [infra] : []), ...members].map((c) => ({ Id: c.config.id, Name: c.config.name, State: c.state.status })),
  };
}

const command: Command<EngineContext> = {
  usage: '[OPTIONS] POD...',
  flags: {
    format: { type: 'string', short: 'f', value: 'TEMPLATE', help: 'a Go template for each pod ({{.Name}}, {{.State}}, {{.InfraContainerID}})' },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const pods = podsOf(ctx);
    const docs: unknown[] = [];
    const status = await each(positionals, async (ref) => {
      docs.push(await doc(pods, engineOf(ctx), pods.resolve(ref)));
    });
    if (v.format) for (const d of docs) process.stdout.write(`${renderTemplate(v.format as string, d)}\n`);
    else if (docs.length) process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
    return status;
  },
};
export default command;
