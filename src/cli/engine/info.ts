// `hako info`: the engine's counts and the host, as docker info's Server section.
import { HakoError } from '../../util/errors.js';
import { renderTemplate } from '../../engine/format.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: { format: { type: 'string', short: 'f', value: 'TEMPLATE', help: 'a Go template ({{.Containers}}, {{.DockerRootDir}}, {{json .}})' } },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako info" accepts no arguments');
    const { engineInfo } = await import('../../engine/system-info.js');
    const i = await engineInfo(engineOf(ctx));
    if (v.format) {
      process.stdout.write(`${renderTemplate(v.format as string, i)}\n`);
      return 0;
    }
    process.stdout.write(
      [
        'Server:',
        ` Containers: ${i.Containers}`,
        `  Running: ${i.ContainersRunning}`,
        `  Paused: ${i.ContainersPaused}`,
        `  Stopped: ${i.ContainersStopped}`,
        ` Images: ${i.Images}`,
        ` Server Version: ${i.ServerVersion}`,
        ` Storage Driver: ${i.StorageDriver}`,
        ` Cgroup Driver: ${i.CgroupDriver}`,
        ` Cgroup Version: ${i.CgroupVersion}`,
        ` Default Runtime: ${i.DefaultRuntime}`,
        ` Kernel Version: ${i.KernelVersion}`,
        ` Operating System: ${i.OperatingSystem}`,
        ` OSType: ${i.OSType}`,
        ` Architecture: ${i.Architecture}`,
        ` CPUs: ${i.NCPU}`,
        ` Total Memory: ${(Number(i.MemTotal) / 2 ** 30).toFixed(2)}GiB`,
        ` Name: ${i.Name}`,
        ` Hako Root Dir: ${i.DockerRootDir}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
export default command;
