// The stages of a Dockerfile: split at FROM, named by `AS`, global ARGs before the first FROM, and
// which stages a target needs (its FROM and COPY --from chain); the others are not built, as with
// BuildKit.
import { DockerfileError, type Dockerfile, type Instruction } from './dockerfile.js';
import { expandWord, keyValues } from './expand.js';

export interface Stage {
  index: number;
  /** The AS name, lower-cased, or undefined. */
  name?: string;
  from: Instruction;
  /** The FROM argument, global ARGs expanded. */
  base: string;
  instructions: Instruction[];
}

export interface StagePlan {
  stages: Stage[];
  globalArgs: Map<string, string>;
  /** Indexes of the stages to build, in order; the last is the target. */
  order: number[];
}

export function planStages(df: Dockerfile, buildArgs: Map<string, string>, target: string | undefined, file: string): StagePlan {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of df.instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/);
      const name = words.length === 3 ? words[2]!.toLowerCase() : undefined;
      if (name !== undefined && !/^[a-z][a-z0-9_.-]*$/.test(name)) throw new DockerfileError(file, ins.line, `invalid stage name ${JSON.stringify(words[2])}`);
      if (name !== undefined && stages.some((s) => s.name === name)) throw new DockerfileError(file, ins.line, `duplicate stage name ${JSON.stringify(name)}`);
      const base = expandWord(words[0]!, globalArgs, df.escape);
      if (!base) throw new DockerfileError(file, ins.line, `FROM ${words[0]}: the image name is empty after variable substitution`);
      stages.push({ index: stages.length, name, from: ins, base, instructions: [] });
    } else if (!stages.length) {
      for (const [k, v] of keyValues(ins.args, globalArgs, df.escape, false)) globalArgs.set(k, buildArgs.get(k) ?? v ?? '');
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  let targetIndex = stages.length - 1;
  if (target !== undefined) {
    targetIndex = stages.findIndex((s) => s.name === target.toLowerCase());
    if (targetIndex < 0) throw new DockerfileError(file, 1, `target stage ${JSON.stringify(target)} could not be found`);
  }
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    const s = stages[i]!;
    const dep = stageRef(stages, s.base, i);
    if (dep !== undefined) visit(dep);
    for (const ins of s.instructions) {
      if (ins.keyword !== 'COPY' || ins.flags.from === undefined) continue;
      const d = stageRef(stages, ins.flags.from, i);
      if (d !== undefined) visit(d);
    }
  };
  visit(targetIndex);
  return { stages, globalArgs, order: [...needed].sort((a, b) => a - b) };
}

/** The index of an earlier stage named by `ref` (its AS name or its number), else undefined (an image). */
export function stageRef(stages: Stage[], ref: string, before: number): number | undefined {
  const lower = ref.toLowerCase();
  const byName = stages.findIndex((s) => s.name === lower);
  if (byName >= 0) return byName < before ? byName : undefined;
  if (/^\d+$/.test(ref) && Number(ref) < before) return Number(ref);
  return undefined;
}
