// `hako build`: a Dockerfile's stages built in order (only those the target needs), each
// instruction applied to the stage's image: config-only ones to its config (metadata.ts), RUN, COPY,
// ADD and WORKDIR as file system steps on an overlay whose upper directory becomes a layer
// (step.ts), every step looked up in the build cache first (cache.ts). The result is an OCI image
// in the store (config with history, manifest, gzip layers with diffIDs), tagged with each -t.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { HakoError } from '../util/errors.js';
import type { Engine } from '../engine/engine.js';
import { inspect as inspectImage, type LayerInfo } from '../image/inspect.js';
import { hostPlatform } from '../oci/image/platform.js';
import type { ImageConfig } from '../oci/image/types.js';
import { isBuiltinImage } from '../engine/builtin-image.js';
import { removeTree } from '../storage/layers/worker.js';
import { rec } from '../native/ops.js';
import { LayerWorker } from '../storage/layers/worker.js';
import { DockerfileError, parseDockerfile, type Instruction } from './dockerfile.js';
import { expandWord, expandWords, keyValues } from './expand.js';
import { applyMetadata, command, type BuildConfig, type MetaContext } from './metadata.js';
import { planStages, stageRef, type Stage } from './stages.js';
import { BuildCache, stepKey } from './cache.js';
import { Progress, type ProgressStep } from './progress.js';
import { parseDockerignore, type IgnoreRule } from './patterns.js';
import { SourceTree } from './tree.js';
import { applyCopy, selectSources, sourcesChecksum, visibleNodes, type CopyRequest } from './copy.js';
import { pruneStaleBuilds } from './prune.js';
import { fsStep, runContainer, scratchDir, withStageRoot, type StepPlace } from './step.js';
import type { BuiltLayer } from './layer.js';
import { exportImage } from './export.js';

export interface BuildOptions {
  /** The context directory (a trusted path to an untrusted tree). */
  contextDir: string;
  /** -f: the Dockerfile's path; default: `Dockerfile` in the context. */
  dockerfile?: string;
  /** The Dockerfile as a path inside the context (the Engine API's `dockerfile`), read through the
   *  worker as the context is; instead of `dockerfile`. */
  contextDockerfile?: string;
  /** --label: labels added to the image's config. */
  labels?: Record<string, string>;
  tags: string[];
  buildArgs: Map<string, string>;
  target?: string;
  noCache?: boolean;
  /** RUN's network: the host's (default, as docker's build has a network) or none. */
  network?: 'host' | 'none';
  onProgress?: (line: string) => void;
}

export interface BuildResult {
  /** The image ID (config digest). */
  id: string;
  manifest: string;
  references: string[];
}

interface StageImage {
  layers: LayerInfo[];
  image: ImageConfig & { config: BuildConfig };
  key: string;
}

/** What one build holds while it runs. */
interface BuildRun {
  engine: Engine;
  opts: BuildOptions;
  place: StepPlace;
  cache: BuildCache;
  progress: Progress;
  context: SourceTree;
  ignore: IgnoreRule[];
  file: string;
  escape: string;
  stages: Stage[];
  globalArgs: Map<string, string>;
  results: Map<number, StageImage>;
}

export async function build(engine: Engine, opts: BuildOptions): Promise<BuildResult> {
  const store = engine.images;
  await pruneStaleBuilds(path.join(engine.root, 'build'), await engine.hakoRuntime());
  const workDir = path.join(engine.root, 'build', `${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const progress = new Progress(opts.onProgress ?? (() => {}));
  let context: SourceTree | undefined;
  try {
    // The Dockerfile is read and checked before the context is listed: a bad Dockerfile fails at
    // once, whatever the size of the context.
    context = SourceTree.connect(opts.contextDir, 'build context');
    const { text, file } = await readDockerfile(opts, context);
    const df = parseDockerfile(text, file);
    const plan = planStages(df, opts.buildArgs, opts.target, file);
    await context.walk();
    const ignore = context.byRel.get('.dockerignore')?.type === 'f' ? parseDockerignore(await readSmall(context, '.dockerignore')) : [];
    const run: BuildRun = {
      engine,
      opts,
      place: { store, workDir },
      cache: new BuildCache(store, Boolean(opts.noCache)),
      progress,
      context,
      ignore,
      file,
      escape: df.escape,
      stages: plan.stages,
      globalArgs: plan.globalArgs,
      results: new Map(),
    };
    for (const i of plan.order) run.results.set(i, await buildStage(run, plan.stages[i]!));
    const final = run.results.get(plan.order[plan.order.length - 1]!)!;
    if (opts.labels && Object.keys(opts.labels).length) final.image.config.Labels = { ...final.image.config.Labels, ...opts.labels };
    const result = await exportImage(store, progress, opts.tags, final.layers, final.image);
    await context.close();
    return result;
  } catch (e) {
    await context?.abort();
    throw e;
  } finally {
    removeTree(workDir);
  }
}

async function readDockerfile(opts: BuildOptions, context: SourceTree): Promise<{ text: string; file: string }> {
  if (opts.dockerfile !== undefined) {
    try {
      const st = fs.statSync(opts.dockerfile);
      if (!st.isFile()) throw new HakoError(`-f ${opts.dockerfile}: not a regular file`, 125);
      if (st.size > MAX_SMALL) throw new HakoError(`-f ${opts.dockerfile}: larger than 4 MiB`, 125);
      return { text: fs.readFileSync(opts.dockerfile, 'utf8'), file: path.basename(opts.dockerfile) };
    } catch (e) {
      if (e instanceof HakoError) throw e;
      throw new HakoError(`-f ${opts.dockerfile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 125);
    }
  }
  // In the context: read through the worker, so a symlink named Dockerfile is not followed.
  const rel = contextRel(opts.contextDockerfile ?? 'Dockerfile');
  const where = opts.contextDockerfile === undefined ? `${opts.contextDir}/Dockerfile` : `dockerfile ${opts.contextDockerfile}`;
  const text = await context.head(rel, MAX_SMALL + 1).catch(() => {
    throw new HakoError(`${where}: no such regular file in the build context`, 125);
  });
  if (text.length > MAX_SMALL) throw new HakoError(`${where}: larger than 4 MiB`, 125);
  return { text: text.toString('utf8'), file: path.posix.basename(rel) };
}

/** A path inside the context, as a relative path without `.` and `..` (never leaving it). */
function contextRel(p: string): string {
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.length === 0 || parts.includes('..') || p.includes('\0')) throw new HakoError(`dockerfile "${p}": must be a file inside the build context`, 125);
  return parts.join('/');
}

const MAX_SMALL = 4 << 20;

async function readSmall(tree: SourceTree, rel: string): Promise<string> {
  const n = tree.byRel.get(rel)!;
  if (n.size > MAX_SMALL) throw new HakoError(`${rel}: larger than 4 MiB`, 125);
  const parts: Buffer[] = [];
  for await (const c of tree.content(rel, n.size)) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

/** The image a stage starts from: another stage, scratch, or an image (made, found or pulled). */
async function baseImage(run: BuildRun, stage: Stage): Promise<StageImage> {
  const dep = stageRef(run.stages, stage.base, stage.index);
  if (dep !== undefined) return structuredClone(run.results.get(dep)!);
  if (stage.base === 'scratch') {
    const p = hostPlatform();
    return { layers: [], key: 'scratch', image: { architecture: p.architecture, os: p.os, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] } };
  }
  const img = await findImage(run.engine, stage.base);
  const image = structuredClone(img.image) as StageImage['image'];
  image.config ??= {};
  image.history ??= [];
  return { layers: img.layers, image, key: `image:${img.id}` };
}

async function findImage(engine: Engine, ref: string) {
  const store = engine.images;
  if (!store.resolve(ref) && isBuiltinImage(ref)) {
    const { makeBuiltinImage } = await import('../engine/builtin-image.js');
    await makeBuiltinImage(store);
  }
  if (!store.resolve(ref)) {
    const { pull } = await import('../image/index.js');
    await pull(ref, { store });
  }
  return inspectImage(store, ref);
}

/** The fs steps of a stage, counted for `[stage k/n]`. */
const FS_STEPS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

async function buildStage(run: BuildRun, stage: Stage): Promise<StageImage> {
  const label = stage.name ?? `stage-${stage.index}`;
  const total = 1 + stage.instructions.filter((i) => FS_STEPS.has(i.keyword)).length;
  let k = 1;
  checkPlatform(run, stage);
  const from = run.progress.step(`[${label} ${k}/${total}] FROM ${stage.base}`);
  const state = await at(run, stage.from, () => baseImage(run, stage)).catch((e: Error) => {
    from.error(e.message);
    throw e;
  });
  from.done();
  const args = new Map<string, string>();
  const meta: MetaContext = {
    config: state.image.config,
    vars: new Map(),
    escape: run.escape,
    shell: state.image.config.Shell ?? ['/bin/sh', '-c'],
    cmdSet: false,
  };
  for (const ins of stage.instructions) {
    meta.vars = variables(args, meta.config);
    if (ins.keyword === 'ARG') {
      for (const [name, def] of keyValues(ins.args, meta.vars, run.escape, false)) {
        const v = run.opts.buildArgs.get(name) ?? def ?? run.globalArgs.get(name);
        if (v !== undefined) args.set(name, v);
      }
      continue;
    }
    await at(run, ins, async () => {
      if (FS_STEPS.has(ins.keyword)) {
        k++;
        const step = run.progress.step(`[${label} ${k}/${total}] ${ins.original}`);
        await fsInstruction(run, ins, state, meta, args, step, stage.index);
      } else {
        if (!applyMetadata(ins, meta)) throw new DockerfileError(run.file, ins.line, `${ins.keyword}: not supported`);
        if (meta.author) state.image.author = meta.author;
        record(run, state, stepKey(state.key, 'meta', JSON.stringify(state.image.config)), ins.original, undefined);
      }
    });
  }
  return state;
}

/** Runs `fn` for instruction `ins`; an error says the Dockerfile line it came from. */
async function at<T>(run: BuildRun, ins: Instruction, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DockerfileError || !(e instanceof HakoError)) throw e;
    throw new HakoError(`${run.file}:${ins.line}: ${e.message}`, e.exitCode);
  }
}

/** ARG values, with ENV over them, as the variables of expansion. */
function variables(args: Map<string, string>, config: BuildConfig): Map<string, string> {
  const vars = new Map(args);
  for (const e of config.Env ?? []) {
    const eq = e.indexOf('=');
    vars.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  return vars;
}

/** Adds a step's outcome to the stage: its layer (if any) and a history entry; caches it. */
function record(run: BuildRun, state: StageImage, key: string, createdBy: string, built: BuiltLayer | undefined, created?: string): void {
  const prev = created ? undefined : run.cache.get(key);
  const when = created ?? prev?.created ?? new Date().toISOString();
  // A config-only step is rewritten each time: it keeps its count of uses (get() counted this one).
  if (!created) run.cache.put(key, { created: when, ...(built ? { layer: built } : {}), ...(prev ? { uses: (prev.uses ?? 1) + 1 } : {}) });
  if (built) {
    state.layers.push({ digest: built.digest, mediaType: built.mediaType, size: built.size, diffID: built.diffID });
    state.image.rootfs.diff_ids.push(built.diffID);
  }
  state.image.history!.push({ created: when, created_by: createdBy, ...(built ? {} : { empty_layer: true }) });
  state.key = key;
}

async function fsInstruction(
  run: BuildRun,
  ins: Instruction,
  state: StageImage,
  meta: MetaContext,
  args: Map<string, string>,
  step: ProgressStep,
  stageIndex: number,
): Promise<void> {
  const c = meta.config;
  let key: string;
  let change: (rootfs: string, dir: string) => Promise<Set<string> | undefined>;
  let createdBy: string;
  if (ins.keyword === 'WORKDIR') {
    const wd = path.posix.resolve(c.WorkingDir || '/', expandWord(ins.args, meta.vars, run.escape));
    c.WorkingDir = wd;
    key = stepKey(state.key, 'WORKDIR', wd);
    createdBy = `WORKDIR ${wd}`;
    change = async (rootfs) => {
      const w = new LayerWorker(rootfs, undefined, `WORKDIR ${wd}`);
      w.op(rec('indest', wd), wd);
      await w.close();
      return undefined;
    };
  } else if (ins.keyword === 'RUN') {
    const argv = command(ins, meta.shell);
    const buildEnv = [...args].filter(([k]) => !(c.Env ?? []).some((e) => e.split('=')[0] === k)).map(([k, v]) => `${k}=${v}`);
    key = stepKey(state.key, 'RUN', JSON.stringify(argv), JSON.stringify(buildEnv), JSON.stringify(c));
    createdBy = `RUN ${argv.join(' ')}`;
    change = async (rootfs, dir) =>
      runContainer(await run.engine.hakoRuntime(), rootfs, dir, {
        args: argv,
        image: c,
        buildEnv,
        network: runNetwork(ins, run.opts),
        onLine: (l) => step.line(l),
      });
  } else {
    return copyInstruction(run, ins, state, meta, step, stageIndex);
  }
  await cachedStep(run, state, key, createdBy, step, change);
}

/** RUN --network=host|none, else the build's --network (default: the host's). */
function runNetwork(ins: Instruction, opts: BuildOptions): 'host' | 'none' {
  const f = ins.flags.network;
  return f === 'none' || f === 'host' ? f : (opts.network ?? 'host');
}

/** FROM --platform: only this host's platform is built (no emulation). */
function checkPlatform(run: BuildRun, stage: Stage): void {
  const want = stage.from.flags.platform;
  if (want === undefined) return;
  const value = expandWord(want, run.globalArgs, run.escape);
  const host = hostPlatform();
  const [os, arch] = value.split('/');
  if (os !== host.os || (arch !== undefined && arch !== host.architecture)) {
    throw new DockerfileError(run.file, stage.from.line, `FROM --platform=${value}: only this host's platform ${host.os}/${host.architecture} can be built`);
  }
}

/** Looks the step up in the cache, else runs it as a file system step and records it. */
async function cachedStep(
  run: BuildRun,
  state: StageImage,
  key: string,
  createdBy: string,
  step: ProgressStep,
  change: (rootfs: string, dir: string) => Promise<Set<string> | undefined>,
): Promise<void> {
  const hit = run.cache.get(key);
  if (hit) {
    record(run, state, key, createdBy, hit.layer, hit.created);
    step.cached();
    return;
  }
  let built: BuiltLayer | undefined;
  try {
    built = await fsStep(run.place, state.layers, change);
  } catch (e) {
    step.error((e as Error).message);
    throw e;
  }
  record(run, state, key, createdBy, built);
  step.done();
}

async function copyInstruction(run: BuildRun, ins: Instruction, state: StageImage, meta: MetaContext, step: ProgressStep, stageIndex: number): Promise<void> {
  const words = ins.json ?? expandWords(ins.args, meta.vars, run.escape);
  const flag = (name: string) => (ins.flags[name] !== undefined ? expandWord(ins.flags[name]!, meta.vars, run.escape) : undefined);
  const from = flag('from');
  const chmodText = flag('chmod');
  if (chmodText !== undefined && !/^[0-7]{1,4}$/.test(chmodText))
    throw new HakoError(`${ins.keyword} --chmod=${chmodText}: expected an octal mode such as 755`);
  if (from !== undefined && ins.keyword === 'ADD') throw new DockerfileError(run.file, ins.line, 'ADD has no --from');
  const written = words.slice(0, -1);
  const destWord = words[words.length - 1]!;
  const dest = path.posix.resolve(meta.config.WorkingDir || '/', destWord);
  const withTree = async (use: (tree: SourceTree, fromContext: boolean) => Promise<void>) => {
    if (from === undefined) return use(run.context, true);
    const dep = stageRef(run.stages, from, stageIndex);
    const layers = dep !== undefined && run.results.has(dep) ? run.results.get(dep)!.layers : (await findImage(run.engine, from)).layers;
    return withStageRoot(run.place, layers, async (root, mount) => {
      const tree = await SourceTree.open(root, `${ins.keyword} --from=${from}`, mount);
      try {
        await use(tree, false);
        await tree.close();
      } catch (e) {
        await tree.abort();
        throw e;
      }
    });
  };
  await withTree(async (tree, fromContext) => {
    const nodes = fromContext ? visibleNodes(tree, run.ignore) : tree.nodes;
    const sources = selectSources(ins.keyword, written, nodes, fromContext);
    const req: CopyRequest = {
      keyword: ins.keyword as 'COPY' | 'ADD',
      sources,
      dest,
      destIsDir: destWord.endsWith('/') || sources.length > 1 || sources.some((s) => !s.node || s.node.type === 'd'),
      chown: flag('chown'),
      chmod: chmodText !== undefined ? parseInt(chmodText, 8) : undefined,
    };
    const sum = await sourcesChecksum(req, tree, nodes);
    const key = stepKey(state.key, ins.keyword, JSON.stringify({ written, dest, destIsDir: req.destIsDir, chown: req.chown, chmod: req.chmod, from }), sum);
    const createdBy = `${ins.keyword} ${from !== undefined ? `--from=${from} ` : ''}${written.join(' ')} ${dest}`;
    await cachedStep(run, state, key, createdBy, step, async (rootfs) => {
      await applyCopy(req, tree, nodes, rootfs, () => scratchDir(run.place, 'add'));
      return undefined;
    });
  });
}
