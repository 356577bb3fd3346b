// hako as a Kubernetes RuntimeClass, without a cluster: containerd 1.6's CRI plugin with a runtime
// handler `hako` (the runc shim, io.containerd.runc.v2, with BinaryName = bin/hako-runtime) next to
// its default `runc`, driven over its gRPC socket with the CRI API (runtime.v1, api.proto here) as
// the kubelet drives it. Per handler, two pods go through their whole lives:
// - an ordinary pod on the CNI bridge: a web container with memory, CPU and cpuset limits, a volume
//   and the pod's sysctls; a client sharing its network namespace; containers started together;
//   a restricted container (non-root, no capabilities, no_new_privs, the default seccomp profile,
//   read-only root); a job that exits, with a log file; a terminal; a hostile image; a cpuset the
//   host lacks; one that runs out of memory. ExecSync (also with a terminal, through ctr), stats,
//   update, ps, a containerd restart, stop and remove;
// - a privileged pod on the host's network and IPC with one PID namespace for the pod, where a
//   container's orphaned child must die with it.
// Each step checks what the containers see from inside; the last test compares hako's outcomes with
// runc's. The after hook fails when containerd, a shim, a mount, a network namespace, a cgroup or
// the bridge stays behind. ~40 s here (v1); ~10 min in the v2 VM, so it is not in scripts/test-vm.sh.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ptyUnavailable, runOnPty } from '../../fixtures/pty.js';
import { BUSYBOX_IMAGE, HOSTILE_IMAGE, Containerd, criSkip, handlers, type Message, sleep } from './harness.js';

const skip = criSkip();
const MiB = 1024 * 1024;
const MEMORY = 64 * MiB;
const UPDATED_MEMORY = 96 * MiB;
const CPU = { cpu_period: 100_000, cpu_quota: 50_000, cpu_shares: 512 };
// The container's own cgroup files as it sees them under /sys/fs/cgroup: v1 (this machine) or v2 (the
// VM of scripts/test-vm.sh), and the values the limits above become there (v2: runc's shares-to-weight).
const V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
const FILES = V2
  ? { memory: 'memory.max', cpu: 'cpu.max cpu.weight', cpuset: 'cpuset.cpus' }
  : { memory: 'memory/memory.limit_in_bytes', cpu: 'cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares', cpuset: 'cpuset/cpuset.cpus' };
const CPU_SEEN = V2
  ? `${CPU.cpu_quota} ${CPU.cpu_period} ${1 + Math.floor(((CPU.cpu_shares - 2) * 9999) / 262142)}`
  : `${CPU.cpu_quota} ${CPU.cpu_period} ${CPU.cpu_shares}`;
const cgroupFiles = (names: string) => `cd /sys/fs/cgroup && cat ${names}`;

let containerd: Containerd | undefined;
const cri = () => containerd!.cri;

before(async () => {
  if (skip) return;
  containerd = new Containerd();
  await containerd.start();
});

after(async () => {
  if (!containerd) return;
  const left = await containerd.stop();
  assert.deepEqual(left, [], 'the CRI run leaves nothing behind');
});

/** What one handler's pods showed, step by step, for the comparison at the end. */
const outcomes = new Map<string, Record<string, unknown>>();

/** ExecSync: the command's stdout (trimmed), stderr and exit code. */
async function exec(id: string, cmd: string[]): Promise<{ out: string; err: string; code: number }> {
  const r = await cri().call('ExecSync', { container_id: id, cmd, timeout: 20 });
  return { out: Buffer.from(r.stdout).toString().trim(), err: Buffer.from(r.stderr).toString(), code: r.exit_code };
}

async function execOk(id: string, script: string): Promise<string> {
  const r = await exec(id, ['sh', '-c', script]);
  assert.equal(r.code, 0, `${script}: ${r.err}`);
  return r.out;
}

/** The kubelet's namespaces for an ordinary pod: pod-wide network and IPC, a PID namespace each. */
const POD_NAMESPACES = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };
// Two of the kubelet's "safe" sysctls, one per namespace they belong to (network, IPC).
const POD_SYSCTLS = { 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.shm_rmid_forced': '1' };
const HOST_NAMESPACES = { network: 'NODE', pid: 'POD', ipc: 'NODE' };

function sandboxConfig(handler: string, name: string, security: Message): Message {
  return {
    metadata: { name: `${name}-${handler}`, uid: `uid-${name}-${handler}-${process.pid}`, namespace: 'hako-test', attempt: 0 },
    hostname: security.namespace_options.network === 'NODE' ? '' : `pod-${handler}`,
    log_directory: path.join(containerd!.dir, 'logs', `${name}-${handler}`),
    labels: { app: 'hako-cri' },
    linux: { cgroup_parent: `/${containerd!.cgroupParent}/${handler}`, security_context: security, sysctls: security.sysctls ?? {} },
  };
}

function containerConfig(name: string, script: string, linux: Message = {}): Message {
  return {
    metadata: { name, attempt: 0 },
    image: { image: linux.image ?? BUSYBOX_IMAGE },
    command: ['/bin/sh', '-c'],
    args: [script],
    envs: [{ key: 'WHO', value: name }],
    linux: { resources: linux.resources ?? {}, security_context: { namespace_options: POD_NAMESPACES, ...linux.security_context } },
    log_path: linux.log_path ?? '',
    mounts: linux.mounts ?? [],
    tty: linux.tty ?? false,
  };
}

async function createAndStart(pod: string, sandbox: Message, config: Message): Promise<string> {
  const id = (await cri().call('CreateContainer', { pod_sandbox_id: pod, config, sandbox_config: sandbox })).container_id;
  await cri().call('StartContainer', { container_id: id });
  return id;
}

/** The container's status once it has exited. */
async function waitExited(id: string): Promise<Message> {
  for (let i = 0; i < 100; i++) {
    const status = (await cri().call('ContainerStatus', { container_id: id })).status;
    if (status.state === 'CONTAINER_EXITED') return status;
    await sleep(100);
  }
  assert.fail(`container ${id} did not exit`);
}

async function removePod(pod: string): Promise<void> {
  await cri().call('StopPodSandbox', { pod_sandbox_id: pod });
  const status = (await cri().call('PodSandboxStatus', { pod_sandbox_id: pod })).status;
  assert.equal(status.state, 'SANDBOX_NOTREADY');
  await cri().call('RemovePodSandbox', { pod_sandbox_id: pod });
  const pods = (await cri().call('ListPodSandbox', {})).items as Message[];
  assert.ok(!pods.some((p) => p.id === pod), 'the pod is gone');
  await assert.rejects(cri().call('PodSandboxStatus', { pod_sandbox_id: pod }), /not found/i);
}

// The web container: a page naming its pod, served on port 8080 of the pod's network.
const WEB = 'mkdir -p /www && echo "pong from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www';

// Mount points with their options and types, the status lines that carry capabilities and
// security settings, the limits, the devices.
const PROBE = [
  'awk \'{ o = ""; for (i = 7; $i != "-"; i++) o = o " " $i; print $5, $6, $(i + 1) o }\' /proc/self/mountinfo',
  'grep -E "^(Cap|NoNewPrivs|Seccomp|Groups)" /proc/self/status',
  'cat /proc/self/oom_score_adj',
  'ulimit -a',
  "ls -l /dev | awk '{ print $1, $NF }'",
  'umask',
  'pwd',
].join('; ');

for (const handler of handlers()) {
  describe(`an ordinary pod through handler ${handler}`, { skip }, () => {
    const seen: Record<string, unknown> = {};
    outcomes.set(handler, seen);
    let pod = '';
    let web = '';
    const sandbox = () => sandboxConfig(handler, 'web', { namespace_options: POD_NAMESPACES, sysctls: POD_SYSCTLS });
    // A host directory as a volume, read-only and private (the kubelet's default; this host's / is a
    // private mount, where containerd refuses host-to-container propagation).
    const volume = () => path.join(containerd!.dir, `volume-${handler}`);

    it('RunPodSandbox: a ready pod with an address on the CNI bridge', async () => {
      pod = (await cri().call('RunPodSandbox', { config: sandbox(), runtime_handler: handler }, 120_000)).pod_sandbox_id;
      assert.match(pod, /^[0-9a-f]{64}$/);
      const status = (await cri().call('PodSandboxStatus', { pod_sandbox_id: pod })).status;
      assert.equal(status.state, 'SANDBOX_READY');
      assert.equal(status.runtime_handler, handler);
      assert.ok(status.network.ip, 'the pod has an IP address');
      // Which runtime made the sandbox: the handler's knows it in the handler's state root, and the
      // other handler's state root has no such container.
      assert.equal(containerd!.runtimeState(handler, pod)?.status, 'running');
      assert.ok(!fs.existsSync(containerd!.stateDir(handler === 'hako' ? 'runc' : 'hako', pod)), 'only one runtime has the sandbox');
      Object.assign(seen, { podIp: status.network.ip, state: status.state });
    });

    it('CreateContainer with memory, CPU and cpuset limits and a volume, StartContainer', async () => {
      assert.ok(pod, 'no pod');
      fs.mkdirSync(volume());
      fs.writeFileSync(path.join(volume(), 'data'), 'volume data\n');
      const mounts = [{ container_path: '/data', host_path: volume(), readonly: true, propagation: 'PROPAGATION_PRIVATE' }];
      // As the kubelet sends them for a Burstable pod: an OOM score by its requests, and a zero limit
      // for every huge page size (containerd drops it where the hugetlb controller is missing).
      const hugepage_limits = [{ page_size: '2MB', limit: 0 }];
      const resources = { memory_limit_in_bytes: MEMORY, ...CPU, cpuset_cpus: '0', oom_score_adj: 500, hugepage_limits };
      web = await createAndStart(pod, sandbox(), containerConfig('web', WEB, { resources, mounts }));
      const status = (await cri().call('ContainerStatus', { container_id: web })).status;
      assert.equal(status.state, 'CONTAINER_RUNNING');
      assert.equal(containerd!.runtimeState(handler, web)?.status, 'running');
      seen.webState = status.state;
    });

    it('ExecSync: the user, the pod hostname, the environment and the limits seen from inside', async () => {
      assert.ok(web, 'no web container');
      const id = await execOk(web, 'id');
      assert.match(id, /^uid=0\(root\) gid=0\(root\)/);
      assert.equal(await execOk(web, 'hostname'), `pod-${handler}`);
      assert.equal(await execOk(web, 'echo $WHO'), 'web');
      const memory = await execOk(web, cgroupFiles(FILES.memory));
      assert.equal(Number(memory), MEMORY);
      const cpu = await execOk(web, cgroupFiles(FILES.cpu));
      assert.equal(cpu.split(/\s+/).join(' '), CPU_SEEN);
      assert.equal(await execOk(web, cgroupFiles(FILES.cpuset)), '0');
      assert.equal(await execOk(web, 'cat /proc/self/oom_score_adj'), '500');
      if (V2) assert.equal(await execOk(web, cgroupFiles('hugetlb.2MB.max')), '0');
      const sysctls = await execOk(web, 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shm_rmid_forced');
      assert.equal(sysctls, '80\n1');
      const volumeSeen = await execOk(web, 'cat /data/data; touch /data/x 2>&1; true');
      assert.equal(volumeSeen, 'volume data\ntouch: /data/x: Read-only file system');
      const failed = await exec(web, ['sh', '-c', 'echo to-stderr >&2; exit 3']);
      assert.deepEqual([failed.code, failed.err], [3, 'to-stderr\n']);
      // What the kubelet's ordinary container sees of its mounts, capabilities and process setup.
      const probe = await execOk(web, PROBE);
      Object.assign(seen, { id, memory, cpu, sysctls, volumeSeen, failedExit: failed.code, probe });
    });

    it('ExecSync of a missing program fails as with runc', async () => {
      assert.ok(web, 'no web container');
      const outcome = await exec(web, ['/no/such/program']).then(
        (r) => `exit ${r.code}`,
        (e: Error) => `error ${/not found|no such file/i.test(e.message) ? 'not found' : e.message}`,
      );
      assert.match(outcome, /^(exit 127|error not found)$/);
      seen.missingProgram = outcome;
    });

    it('ContainerStats: CPU time, working set and the writable layer', async () => {
      assert.ok(web, 'no web container');
      await execOk(web, 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done');
      const stats = (await cri().call('ContainerStats', { container_id: web })).stats;
      assert.equal(stats.attributes.id, web);
      assert.ok(Number(stats.cpu.usage_core_nano_seconds?.value) > 0, `cpu: ${JSON.stringify(stats.cpu)}`);
      const workingSet = Number(stats.memory.working_set_bytes?.value);
      assert.ok(workingSet > 0 && workingSet < MEMORY, `memory: ${JSON.stringify(stats.memory)}`);
      assert.ok(stats.writable_layer?.fs_id?.mountpoint, `writable layer: ${JSON.stringify(stats.writable_layer)}`);
      seen.stats = ['cpu', 'memory', 'writable_layer'].filter((k) => stats[k]);
    });

    it('UpdateContainerResources: the new memory limit is seen from inside', async () => {
      assert.ok(web, 'no web container');
      await cri().call('UpdateContainerResources', { container_id: web, linux: { memory_limit_in_bytes: UPDATED_MEMORY, ...CPU } });
      const memory = await execOk(web, cgroupFiles(FILES.memory));
      assert.equal(Number(memory), UPDATED_MEMORY);
      seen.updatedMemory = memory;
    });

    it('the processes of a container, as the shim lists them (`ps`)', () => {
      assert.ok(web, 'no web container');
      const r = containerd!.ctr(['tasks', 'ps', web]);
      assert.equal(r.status, 0, r.stderr);
      const pids = r.stdout.split('\n').slice(1).filter(Boolean);
      assert.equal(pids.length, 1, r.stdout);
      assert.equal(pids[0].split(/\s+/)[0], String(containerd!.runtimeState(handler, web)?.pid));
      seen.ps = pids.length;
    });

    it('an exec with a terminal (kubectl exec -it): the shim gives the runtime a console socket', (t) => {
      assert.ok(web, 'no web container');
      const noPty = ptyUnavailable();
      if (noPty) return t.skip(noPty);
      // ctr's `task exec -t` takes the shim's path of the CRI's streaming Exec with tty: exec
      // --console-socket, then the shim relays the pty. The sleep: ctr resizes the pty once the
      // process has started, and says so on the terminal when it is gone by then.
      const fifos = path.join(containerd!.dir, 'fifo');
      const cmd = containerd!.ctrCommand([
        'task',
        'exec',
        '-t',
        '--fifo-dir',
        fifos,
        '--exec-id',
        `tty-${handler}`,
        web,
        'sh',
        '-c',
        'tty; test -t 0 && echo stdin too; sleep 1; exit 4',
      ]);
      const r = runOnPty(cmd);
      assert.equal(r.status, 4, r.output);
      assert.equal(r.output.replace(/\r/g, ''), '/dev/pts/0\nstdin too\n');
      seen.execTty = r.output;
    });

    it('a second container shares the pod network: same interfaces, the web page on localhost', async () => {
      assert.ok(web, 'no web container');
      const client = await createAndStart(pod, sandbox(), containerConfig('client', 'exec sleep 3600'));
      const links = 'ip -o -4 addr | tr -s " " | cut -d" " -f2,4';
      const [fromWeb, fromClient] = [await execOk(web, links), await execOk(client, links)];
      assert.equal(fromClient, fromWeb, 'the same interfaces and addresses');
      assert.match(fromClient, new RegExp(`^lo 127\\.0\\.0\\.1/8\\neth0 ${String(seen.podIp).replace(/\./g, '\\.')}/24$`));
      let page = { out: '', err: '', code: -1 };
      for (let i = 0; i < 20 && page.code !== 0; i++, await sleep(100)) page = await exec(client, ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/']);
      assert.equal(page.out, `pong from pod-${handler}`, page.err);
      Object.assign(seen, { interfaces: fromClient.replace(String(seen.podIp), 'POD_IP'), page: page.out.replace(handler, 'HANDLER') });
    });

    it('concurrent calls, as the kubelet makes them: probes into one container, containers started together', async () => {
      assert.ok(web, 'no web container');
      const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => execOk(web, `echo probe-${i}`)));
      assert.deepEqual(
        outs,
        Array.from({ length: 8 }, (_, i) => `probe-${i}`),
      );
      const ids = await Promise.all(['side-a', 'side-b', 'side-c'].map((n) => createAndStart(pod, sandbox(), containerConfig(n, 'exec sleep 3600'))));
      const names = await Promise.all(ids.map((id) => execOk(id, 'echo $WHO')));
      assert.deepEqual(names, ['side-a', 'side-b', 'side-c']);
      seen.concurrent = { outs, names };
    });

    it('containerd restarts (an upgrade): the pod and its containers live on and answer', async () => {
      assert.ok(web, 'no web container');
      await containerd!.restart();
      const { containers } = await cri().call('ListContainers', { filter: { pod_sandbox_id: pod } });
      const states = (containers as Message[]).map((c) => `${c.metadata.name} ${c.state}`).sort();
      assert.deepEqual(
        states,
        ['client', 'side-a', 'side-b', 'side-c', 'web'].map((n) => `${n} CONTAINER_RUNNING`),
      );
      assert.equal(await execOk(web, 'echo $WHO'), 'web');
      const status = (await cri().call('PodSandboxStatus', { pod_sandbox_id: pod })).status;
      assert.equal(status.state, 'SANDBOX_READY');
      seen.restarted = states;
    });

    it('a restricted container: non-root, no capabilities, no_new_privs, default seccomp, read-only root', async () => {
      assert.ok(pod, 'no pod');
      const security_context = {
        run_as_user: { value: 1000 },
        run_as_group: { value: 1000 },
        supplemental_groups: [2000],
        capabilities: { drop_capabilities: ['ALL'] },
        no_new_privs: true,
        readonly_rootfs: true,
        seccomp: { profile_type: 'RuntimeDefault' },
      };
      // BestEffort: the kubelet's OOM score for it is 1000.
      const resources = { oom_score_adj: 1000 };
      const id = await createAndStart(pod, sandbox(), containerConfig('restricted', 'exec sleep 3600', { security_context, resources }));
      const script = 'id; grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; cat /proc/self/oom_score_adj; touch /x 2>&1; true';
      const status = await execOk(id, script);
      assert.equal(
        status,
        'uid=1000 gid=1000 groups=1000,2000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n1000\ntouch: /x: Read-only file system',
      );
      seen.restricted = status;
    });

    it('a container that exits: its exit code, reason and log file', async () => {
      assert.ok(pod, 'no pod');
      const id = await createAndStart(pod, sandbox(), containerConfig('job', 'echo out; echo err >&2; exit 3', { log_path: 'job.log' }));
      const status = await waitExited(id);
      assert.deepEqual([status.exit_code, status.reason], [3, 'Error']);
      const log = fs.readFileSync(path.join(sandbox().log_directory, 'job.log'), 'utf8');
      const lines = log
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\S+ /, ''))
        .sort();
      assert.deepEqual(lines, ['stderr F err', 'stdout F out'], log);
      seen.job = { exit: status.exit_code, reason: status.reason, lines };
    });

    it('a container with a terminal: its output in the log file, from the terminal', async () => {
      assert.ok(pod, 'no pod');
      const id = await createAndStart(pod, sandbox(), containerConfig('tty', 'tty; test -t 1 && echo on-a-terminal', { tty: true, log_path: 'tty.log' }));
      const status = await waitExited(id);
      assert.equal(status.exit_code, 0);
      const log = fs.readFileSync(path.join(sandbox().log_directory, 'tty.log'), 'utf8');
      const lines = log
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\S+ /, ''));
      assert.deepEqual(lines, ['stdout F /dev/pts/0', 'stdout F on-a-terminal'], log);
      seen.tty = lines;
    });

    it('a hostile image: /etc/hosts, resolv.conf and hostname are symlinks out of its root', async () => {
      assert.ok(pod, 'no pod');
      // containerd mounts its own files over these three paths; the symlinks must resolve inside the
      // container's root, leaving the host files they name alone.
      const id = await createAndStart(pod, sandbox(), containerConfig('hostile', 'exec sleep 3600', { image: HOSTILE_IMAGE }));
      const seenInside = await execOk(id, 'hostname; grep -q localhost /etc/hosts && echo hosts; test -f /etc/resolv.conf && echo resolv');
      assert.equal(seenInside, `pod-${handler}\nhosts\nresolv`);
      const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8');
      for (const file of Object.values(containerd!.sentinels)) {
        assert.equal(fs.readFileSync(file, 'utf8'), 'sentinel\n', file);
        assert.ok(!mounted.includes(` ${file} `), `${file} is not a mount point`);
      }
      seen.hostile = 'contained';
    });

    it('bad input in the pod spec: CPUs the host lacks fail StartContainer in one line, nothing left', async () => {
      assert.ok(pod, 'no pod');
      // CreateContainer only records the container; the runtime's create runs at StartContainer.
      const config = containerConfig('bad-cpuset', 'true', { resources: { cpuset_cpus: '1000-1023' } });
      const id = (await cri().call('CreateContainer', { pod_sandbox_id: pod, config, sandbox_config: sandbox() })).container_id;
      const error = await cri()
        .call('StartContainer', { container_id: id })
        .then(
          () => '',
          (e: Error & { details?: string }) => e.details ?? e.message,
        );
      assert.match(error, /cpuset|cpus/i);
      assert.doesNotMatch(error, /\n\s+at /, 'no stack trace');
      const status = (await cri().call('ContainerStatus', { container_id: id })).status;
      await cri().call('RemoveContainer', { container_id: id });
      assert.equal(containerd!.runtimeState(handler, id), undefined, 'the runtime kept nothing');
      seen.badCpuset = { state: status.state, reason: status.reason };
    });

    it('a container over its memory limit: OOMKilled, exit code 137', async () => {
      assert.ok(pod, 'no pod');
      const hog = 'x=a; while true; do x=$x$x; done';
      const id = await createAndStart(pod, sandbox(), containerConfig('hog', hog, { resources: { memory_limit_in_bytes: 16 * MiB } }));
      const status = await waitExited(id);
      assert.deepEqual([status.exit_code, status.reason], [137, 'OOMKilled']);
      seen.oom = status.reason;
    });

    it('StopContainer and RemoveContainer, each container', async () => {
      assert.ok(pod, 'no pod');
      const { containers } = await cri().call('ListContainers', { filter: { pod_sandbox_id: pod } });
      assert.equal(containers.length, 10);
      // Together, as the kubelet stops a pod's containers.
      await Promise.all(
        (containers as Message[]).map(async (c) => {
          await cri().call('StopContainer', { container_id: c.id, timeout: 1 });
          const status = (await cri().call('ContainerStatus', { container_id: c.id })).status;
          assert.equal(status.state, 'CONTAINER_EXITED');
          await cri().call('RemoveContainer', { container_id: c.id });
          assert.equal(containerd!.runtimeState(handler, c.id), undefined, 'the runtime forgot it');
        }),
      );
      const left = await cri().call('ListContainers', { filter: { pod_sandbox_id: pod } });
      assert.deepEqual(left.containers, []);
      seen.stopped = containers.length;
    });

    it('StopPodSandbox and RemovePodSandbox', async () => {
      assert.ok(pod, 'no pod');
      await removePod(pod);
      assert.equal(containerd!.runtimeState(handler, pod), undefined);
      seen.removed = true;
    });
  });

  describe(`a privileged pod on the host network through handler ${handler}`, { skip }, () => {
    const seen: Record<string, unknown> = {};
    let pod = '';
    let admin = '';
    const sandbox = () => sandboxConfig(handler, 'host', { namespace_options: HOST_NAMESPACES, privileged: true });

    it('one PID namespace for the pod, the host network and IPC, the host devices and every capability', async () => {
      outcomes.get(handler)!.hostPod = seen;
      pod = (await cri().call('RunPodSandbox', { config: sandbox(), runtime_handler: handler }, 120_000)).pod_sandbox_id;
      const linux = { security_context: { privileged: true, namespace_options: HOST_NAMESPACES } };
      const id = await createAndStart(pod, sandbox(), containerConfig('admin', 'exec sleep 3600', linux));
      admin = id;
      // The pause process (sleep) is PID 1 of the pod; this container's shell is another.
      assert.equal(await execOk(id, 'cat /proc/1/cmdline | tr "\\0" " "'), '/bin/sleep 2147483647');
      assert.equal(await execOk(id, 'hostname'), os.hostname());
      assert.equal(await execOk(id, 'readlink /proc/self/ns/net'), fs.readlinkSync('/proc/self/ns/net'));
      assert.ok((await execOk(id, 'ls /sys/class/net')).split(/\s+/).includes('lo'));
      const caps = await execOk(id, 'grep -E "^Cap(Eff|Bnd):" /proc/self/status');
      const hostBnd = /CapBnd:\s*(\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1];
      assert.equal(caps, `CapEff:\t${hostBnd}\nCapBnd:\t${hostBnd}`);
      const devices = (await execOk(id, 'ls /dev')).split(/\s+/);
      for (const d of ['null', 'kmsg', 'mem', 'loop-control'].filter((n) => fs.existsSync(`/dev/${n}`))) assert.ok(devices.includes(d), `/dev/${d}`);
      const sys = await execOk(id, 'grep " /sys " /proc/self/mountinfo | cut -d" " -f6');
      assert.match(sys, /^rw,/);
      // The host's IPC namespace and its /dev/shm.
      assert.equal(await execOk(id, 'readlink /proc/self/ns/ipc'), fs.readlinkSync('/proc/self/ns/ipc'));
      const shm = fs.statSync('/dev/shm');
      assert.equal(await execOk(id, 'stat -c "%d %i" /dev/shm'), `${shm.dev} ${shm.ino}`);
      Object.assign(seen, { caps, sys });
    });

    it('a container that leaves a child behind in the pod PID namespace: the child is killed at its exit', async () => {
      assert.ok(admin, 'no admin container');
      // Without a PID namespace of its own a container's exit does not end its children; the shim
      // then sends `kill --all` and the runtime must reach every process of the cgroup, as runc does.
      const linux = { security_context: { namespace_options: HOST_NAMESPACES } };
      const id = await createAndStart(pod, sandbox(), containerConfig('orphaner', 'sleep 1234 & echo started', linux));
      const status = await waitExited(id);
      assert.equal(status.exit_code, 0);
      let left = '';
      for (let i = 0; i < 50; i++, await sleep(100)) {
        left = await execOk(admin, 'ps -o args | grep "^sleep 1234" || true');
        if (!left) break;
      }
      assert.equal(left, '', 'the orphaned child is gone');
      await cri().call('RemoveContainer', { container_id: id });
      assert.equal(containerd!.runtimeState(handler, id), undefined);
      seen.orphan = 'killed';
    });

    it('RemovePodSandbox with the container still running removes both', async () => {
      assert.ok(pod, 'no pod');
      await removePod(pod);
      seen.removed = true;
    });
  });
}

describe('hako compared with runc', {
  skip: skip || (handlers().length < 2 ? 'runc is not installed (Debian package runc), nothing to compare with' : false),
}, () => {
  it('every step shows the same through both handlers', (t) => {
    const [runc, hako] = [outcomes.get('runc')!, outcomes.get('hako')!];
    assert.ok(runc.removed, `runc's pod went through every step: ${JSON.stringify(runc)}`);
    const comparable = (seen: Record<string, unknown>) => {
      const { podIp: _, probe, ...rest } = seen;
      // runc 1.1 leaves the tmpfs holding the v1 hierarchies writable though the spec asks for a
      // read-only /sys/fs/cgroup (its remount of it is a no-op); hako makes it read-only.
      return { ...rest, probe: String(probe).replace(/^(\/sys\/fs\/cgroup )r[ow],(\S+ tmpfs\b)/m, '$1<ro or rw>,$2') };
    };
    if (!V2) {
      const cgroupTmpfs = (seen: Record<string, unknown>) => /^\/sys\/fs\/cgroup (\S+) tmpfs\b/m.exec(String(seen.probe))?.[1];
      t.diagnostic(`/sys/fs/cgroup: runc ${cgroupTmpfs(runc)}, hako ${cgroupTmpfs(hako)}`);
      assert.match(cgroupTmpfs(hako) ?? '', /^ro,/);
    }
    assert.deepEqual(comparable(hako), comparable(runc));
  });
});
