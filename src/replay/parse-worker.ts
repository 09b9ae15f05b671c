// A replay parse worker: chunks of log bytes in, their ChunkResults out, in the order received.
// All parsing state is per chunk except the parser itself, so any chunk may go to any worker.
import { parentPort } from 'node:worker_threads';
import { LineParser } from '../parse/parse-line.js';
import { ChunkScanner } from './chunk-scan.js';
import type { WorkerReply, WorkerRequest } from './parse-pool.js';

if (parentPort === null) throw new Error('parse-worker: run as a worker thread');
const port = parentPort;

let scanner: ChunkScanner | null = null;
let parser: LineParser | null = null;

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'init') {
    parser = new LineParser(request.ruleSets, { kernelPrefixes: request.kernelPrefixes, time: { now: 0, bootTime: 0 } });
    scanner = new ChunkScanner(parser);
    return;
  }
  let reply: WorkerReply;
  try {
    if (parser === null || scanner === null) throw new Error('parse-worker: a chunk came before the rules');
    parser.setTimeReference(request.time);
    reply = { type: 'result', id: request.id, result: scanner.scan(request.bytes, request.source), bytes: request.bytes };
  } catch (error) {
    reply = { type: 'error', id: request.id, message: (error as Error).message ?? String(error) };
  }
  if (reply.type === 'error') {
    port.postMessage(reply);
    return;
  }
  const r = reply.result;
  port.postMessage(reply, [
    reply.bytes.buffer as ArrayBuffer,
    r.line.buffer,
    r.time.buffer,
    r.rule.buffer,
    r.attacker.buffer,
    r.victim.buffer,
    r.user.buffer,
    r.userAgent.buffer,
    r.transport.buffer,
  ]);
});
