// util/fifo.ts: a FIFO read to its end without blocking the event loop: a writer that has not
// opened yet is waited for, bytes are counted, the last writer's close ends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFifo } from '../../../src/util/fifo.js';

function fifo(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-fifo-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f');
  execFileSync('mkfifo', [file]);
  return file;
}

test('waits for a late writer, counts its bytes, ends when it closes; the event loop runs meanwhile', async (t) => {
  const file = fifo(t);
  const reader = await readFifo(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  // The writer opens 100 ms later, writes one byte, keeps its end for another 100 ms.
  spawn('/bin/sh', ['-c', `sleep 0.1; exec 3>${file}; printf 0 >&3; sleep 0.1`], { stdio: 'ignore' });
  const bytes = await reader.ended;
  clearInterval(timer);
  reader.close();
  assert.equal(bytes, 1);
  assert.ok(ticks >= 10, `the event loop ran while waiting (${ticks} ticks)`);
});

test('close() stops a read that has no writer yet', async (t) => {
  const file = fifo(t);
  const reader = await readFifo(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  setTimeout(() => reader.close(), 20);
  assert.equal(await reader.ended, 0);
  assert.equal(reader.bytes(), 0);
});
