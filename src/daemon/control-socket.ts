// The root-only Unix control socket: one JSON request per line in, one JSON answer per line out.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { SipwardenError } from '../model/errors.js';
import { parseRequest, type Answer, type Request } from './protocol.js';

/** A request line longer than this is refused: no legitimate request comes near it. */
const MAX_REQUEST_BYTES = 64 * 1024;

export type RequestHandler = (request: Request) => Promise<unknown>;

function errorAnswer(error: unknown): Answer {
  if (error instanceof SipwardenError) return { ok: false, error: { code: error.code, message: error.message, details: [...error.details] } };
  return { ok: false, error: { code: 'DAEMON', message: (error as Error).message ?? String(error), details: [] } };
}

/** Answers one connection's requests in order; a client that goes away mid-request harms nothing. */
function serve(socket: Socket, handler: RequestHandler): void {
  let buffer = '';
  let queue = Promise.resolve();
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  const send = (answer: Answer): void => {
    if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(answer)}\n`);
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_REQUEST_BYTES && !buffer.includes('\n')) {
      send({ ok: false, error: { code: 'USAGE', message: `request longer than ${MAX_REQUEST_BYTES} bytes`, details: [] } });
      socket.end();
      buffer = '';
      return;
    }
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (line === '') continue;
      queue = queue.then(async () => {
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          send({ ok: false, error: { code: 'USAGE', message: 'request is not valid JSON', details: [] } });
          return;
        }
        const request = parseRequest(raw);
        if (typeof request === 'string') {
          send({ ok: false, error: { code: 'USAGE', message: request, details: [] } });
          return;
        }
        try {
          send({ ok: true, result: await handler(request) });
        } catch (error) {
          send(errorAnswer(error));
        }
      });
    }
  });
}

/** Listens on `path` (its folder 0700, the socket 0600); replaces a stale socket left by a crash. */
export async function listenControlSocket(path: string, handler: RequestHandler): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) {
    if (await isAnswering(path)) throw new SipwardenError('DAEMON', `another sipwarden daemon is already listening on ${path}`);
    unlinkSync(path);
  }
  const server = createServer((socket) => serve(socket, handler));
  // Created 0600 from the start: no moment where others may connect.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
  return server;
}

function isAnswering(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Sends one request to the daemon. Resolves null when no daemon listens (no socket, or nobody
 * answering it), so the caller can work on the store directly.
 */
export function sendRequest(path: string, request: Request, timeoutMs = 30_000): Promise<Answer | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    let connected = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SipwardenError('DAEMON', `the daemon on ${path} did not answer within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(JSON.parse(buffer.slice(0, newline)) as Answer);
      } catch (error) {
        reject(new SipwardenError('DAEMON', `the daemon on ${path} answered something that is not JSON`, { cause: error }));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!connected && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')) resolve(null);
      else if (error.code === 'EACCES') reject(new SipwardenError('DAEMON', `${path}: permission denied; sipwarden commands need root`, { cause: error }));
      else reject(new SipwardenError('DAEMON', `${path}: ${error.message}`, { cause: error }));
    });
  });
}
