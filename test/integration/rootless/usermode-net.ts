// Runs the user-mode network driver as the ordinary user of a rootless test (the driver is a library
// function; the test process is root, so it starts this script through setpriv):
//   node usermode-net.js start TOOL PID DIR PORTS_JSON   prints the UserModeNet as JSON
//   node usermode-net.js stop PID STARTTIME
import { startUserModeNet, stopUserModeNet } from '../../../src/network/index.js';

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'start') {
    const [tool, pid, dir, ports] = args;
    const net = await startUserModeNet({ netns: `/proc/${pid}/ns/net`, userns: `/proc/${pid}/ns/user` }, JSON.parse(ports), dir, tool);
    process.stdout.write(`${JSON.stringify(net)}\n`);
  } else if (cmd === 'stop') {
    stopUserModeNet({ pid: Number(args[0]), startTime: args[1] });
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}
