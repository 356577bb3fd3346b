// testcontainers (npm) against hako's socket, used as its users use it: DOCKER_HOST=unix://… and
// TESTCONTAINERS_RYUK_DISABLED=true — its documented setting for running without the "ryuk" reaper
// container, an image from Docker Hub this machine cannot reach. A busybox httpd from the image
// built into the test's store, a wait strategy (log message and listening port), exec, logs, stop.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { engineSkip, IMAGE, useApiService, type ApiService } from './harness.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('testcontainers', { skip: engineSkip }, () => {
  let svc: ApiService;
  useApiService(engineSkip, (s) => {
    svc = s;
    process.env.DOCKER_HOST = s.dockerHost;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  });

  test('GenericContainer: wait for a log line and a port, exec, logs, stop', async () => {
    const { GenericContainer, Wait } = await import('testcontainers');
    const script = 'mkdir -p /www && echo hello-from-hako > /www/index.html && echo serving && exec httpd -f -v -p 8080 -h /www';
    const container = await new GenericContainer(IMAGE)
      .withCommand(['sh', '-c', script])
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forAll([Wait.forLogMessage('serving'), Wait.forListeningPorts()]))
      .withStartupTimeout(60_000)
      .start();
    try {
      const port = container.getMappedPort(8080);
      assert.ok(port > 0);
      const page = await get(`http://${container.getHost()}:${port}/index.html`);
      assert.equal(page.status, 200);
      assert.equal(page.body, 'hello-from-hako\n');

      const ran = await container.exec(['sh', '-c', 'cat /www/index.html; echo oops >&2; exit 4']);
      assert.equal(ran.exitCode, 4);
      assert.equal(ran.stdout, 'hello-from-hako\n');
      assert.equal(ran.stderr, 'oops\n');

      const logs = await container.logs();
      const text = await new Promise<string>((resolve) => {
        let seen = '';
        logs.on('data', (line: string) => {
          seen += line;
          if (seen.includes('serving')) resolve(seen);
        });
      });
      assert.match(text, /serving/);
      logs.destroy();
    } finally {
      const stopped = await container.stop({ timeout: 2 });
      assert.ok(stopped);
    }
    const { default: Docker } = await import('dockerode');
    const left = await new Docker().listContainers({ all: true });
    assert.deepEqual(left, [], 'stop removed the container (testcontainers removes on stop)');
    assert.equal(svc.log(), '', 'the service logged nothing (no internal errors)');
  });
});
