// The control socket: root-only, line-delimited JSON, robust to bad requests and vanishing clients.
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { connect, type Server } from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenControlSocket, sendRequest } from '../../src/daemon/control-socket.js';
import { parseRequest, type Request } from '../../src/daemon/protocol.js';
import { SipwardenError } from '../../src/model/errors.js';

let dir: string;
let server: Server | null = null;
let handled: Request[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-sock-'));
  handled = [];
});
afterEach(async () => {
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<string> {
  const path = join(dir, 'run', 'sipwarden.sock');
  server = await listenControlSocket(path, async (request) => {
    handled.push(request);
    if (request.command === 'unblock') throw new SipwardenError('NOT_FOUND', `${request.target} is not blocked`);
    if (request.command === 'status') await new Promise((r) => setTimeout(r, 100));
    return { echo: request.command };
  });
  return path;
}

/** Sends raw bytes and collects whatever comes back until the server closes or 300 ms pass. */
function raw(path: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(path);
    let got = '';
    socket.on('data', (d) => (got += d.toString()));
    socket.on('connect', () => socket.write(text));
    socket.on('error', () => resolve(got));
    socket.on('close', () => resolve(got));
    setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, 300);
  });
}

test('the socket and its folder are root-only', async () => {
  const path = await start();
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
});

test('requests are answered; errors carry their code', async () => {
  const path = await start();
  expect(await sendRequest(path, { command: 'list', list: 'deny' })).toEqual({ ok: true, result: { echo: 'list' } });
  expect(await sendRequest(path, { command: 'unblock', target: '198.51.100.7', forget: false })).toEqual({
    ok: false,
    error: { code: 'NOT_FOUND', message: '198.51.100.7 is not blocked', details: [] },
  });
});

test('malformed requests get an error answer, and the connection keeps serving', async () => {
  const path = await start();
  const answers = (await raw(path, 'not json\n{"command":"reboot"}\n[1,2]\n{"command":"block","target":5}\n{"command":"list"}\n'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { ok: boolean; error?: { message: string } });
  expect(answers.map((a) => a.ok)).toEqual([false, false, false, false, true]);
  expect(answers[0]?.error?.message).toBe('request is not valid JSON');
  expect(answers[1]?.error?.message).toMatch(/^unknown command "reboot"; use status, list/);
  expect(answers[3]?.error?.message).toBe('block: "target" must be a string');
});

test('an over-long request is refused; a client that vanishes mid-request harms nothing', async () => {
  const path = await start();
  const answer = await raw(path, 'x'.repeat(70 * 1024));
  expect(answer).toContain('request longer than');
  await new Promise<void>((resolve) => {
    const socket = connect(path, () => {
      socket.write('{"command":"status"}\n');
      socket.destroy();
      resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 200));
  expect(await sendRequest(path, { command: 'list', list: null })).toMatchObject({ ok: true });
  expect(handled.map((r) => r.command)).toEqual(['status', 'list']);
});

test('no daemon: sendRequest says so with null; a leftover socket file is replaced', async () => {
  const path = join(dir, 'run', 'sipwarden.sock');
  expect(await sendRequest(path, { command: 'status' })).toBeNull();
  await start();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  server = null;
  // What a crash leaves: a file at the socket's path that nobody answers on.
  writeFileSync(path, '');
  expect(await sendRequest(path, { command: 'status' })).toBeNull();
  server = await listenControlSocket(path, async () => 'again');
  expect(await sendRequest(path, { command: 'status' })).toEqual({ ok: true, result: 'again' });
  await expect(listenControlSocket(path, async () => null)).rejects.toThrow('another sipwarden daemon is already listening');
});

test('parseRequest validates every field', () => {
  expect(parseRequest({ command: 'logs', query: { kind: 'register', page: 2 } })).toEqual({ command: 'logs', query: { kind: 'register', page: 2 } });
  expect(parseRequest({ command: 'logs', query: { kind: 'ddos' } })).toBe('logs: "kind" is not an attack kind');
  expect(parseRequest({ command: 'block', target: '1.2.3.4', duration: -5 })).toMatch(/duration/);
  expect(parseRequest({ command: 'list', list: 'everything' })).toBe('list: use dynamic, deny or allow');
  expect(parseRequest(null)).toBe('a request is a JSON object with a "command"');
});
