// The command lines of the rootless network tools, as podman writes them (libpod's pasta and
// slirp4netns set-up): only the asked-for ports forwarded, the namespaces by path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pastaArgs, pastaPortSpec } from '../../../src/network/driver/pasta.js';
import { lastLine } from '../../../src/network/driver/usermode-types.js';
import { hostfwdRequest, slirpArgs } from '../../../src/network/driver/slirp.js';
import { checkUserModePorts, chooseTool } from '../../../src/network/driver/usermode.js';

const target = { netns: '/proc/42/ns/net', userns: '/proc/42/ns/user' };

describe('pasta arguments', () => {
  it('a port per -t/-u, with the host address when one is given', () => {
    assert.equal(pastaPortSpec({ hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }), '127.0.0.1/8080:80');
    assert.equal(pastaPortSpec({ hostIP: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }), '8080:80');
    assert.equal(pastaPortSpec({ hostIP: '0.0.0.0', hostPort: 53, containerPort: 53, protocol: 'udp' }), '53:53');
    assert.equal(pastaPortSpec({ hostIP: '::1', hostPort: 9, containerPort: 9, protocol: 'tcp' }), '::1/9:9');
  });

  it('forwards nothing that was not asked for, joins the namespaces by path, daemonizes with a pid file', () => {
    assert.deepEqual(pastaArgs(target, [], '/d/pasta.pid'), [
      '--config-net',
      '-t',
      'none',
      '-u',
      'none',
      '-T',
      'none',
      '-U',
      'none',
      '--no-map-gw',
      '--userns',
      '/proc/42/ns/user',
      '--netns',
      '/proc/42/ns/net',
      '--no-netns-quit',
      '--pid',
      '/d/pasta.pid',
      '--quiet',
    ]);
    const args = pastaArgs(
      target,
      [
        { hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostIP: '', hostPort: 5353, containerPort: 53, protocol: 'udp' },
      ],
      '/p',
    );
    assert.deepEqual(args.slice(0, 5), ['--config-net', '-t', '127.0.0.1/8080:80', '-u', '5353:53']);
    assert.ok(!args.includes('none') || args.indexOf('none') > 5);
    assert.equal(args.filter((a) => a === '-t').length, 1);
  });
});

describe('slirp4netns arguments and API requests', () => {
  it('podman 4.3 options, the namespaces by path, tap0', () => {
    assert.deepEqual(slirpArgs(target, '/d/api.sock'), [
      '--configure',
      '--mtu=65520',
      '--disable-host-loopback',
      '--enable-seccomp',
      '--api-socket=/d/api.sock',
      '--userns-path=/proc/42/ns/user',
      '--netns-type=path',
      '/proc/42/ns/net',
      'tap0',
    ]);
  });

  it('add_hostfwd per port; 0.0.0.0 is every address', () => {
    assert.deepEqual(JSON.parse(hostfwdRequest({ hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' })), {
      execute: 'add_hostfwd',
      arguments: { proto: 'tcp', host_addr: '127.0.0.1', host_port: 8080, guest_port: 80 },
    });
    assert.equal(JSON.parse(hostfwdRequest({ hostIP: '0.0.0.0', hostPort: 1, containerPort: 2, protocol: 'udp' })).arguments.host_addr, '');
  });
});

describe('tool choice and port checks', () => {
  it('refuses an unknown tool and sctp ports in one line', () => {
    assert.throws(() => chooseTool('vde'), /^Error: rootless network "vde": unknown \(pasta or slirp4netns\)$|rootless network "vde": unknown/);
    assert.throws(() => checkUserModePorts([{ hostIP: '', hostPort: 1, containerPort: 1, protocol: 'sctp' }]), /forwards tcp and udp only/);
    assert.doesNotThrow(() => checkUserModePorts([{ hostIP: '', hostPort: 1, containerPort: 1, protocol: 'udp' }]));
  });

  it("a tool's reason is its last non-empty line", () => {
    assert.equal(lastLine('Starting\n\nFailed to bind port 80\n\n'), 'Failed to bind port 80');
    assert.equal(lastLine(''), '');
  });
});
