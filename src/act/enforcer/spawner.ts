// Runs the firewall tools from a small child process instead of the daemon itself. Starting a program
// forks the process that starts it, and a fork copies the page tables of the whole heap: measured
// here, 2 ms for a 50 MB process, 11–13 ms at 400–550 MB (up to 76 ms), all of it blocking the
// daemon's event loop. With 100,000 blocks held that was most of the daemon's time, and every block
// waited behind it. The child is forked once, at start, while the daemon is small; it runs each
// command (argument arrays, never a shell) and sends the result back.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommandResult, CommandRunner } from './run.js';
import { isSpawnReply, type SpawnRequest } from './spawner-protocol.js';

const CHILD = fileURLToPath(new URL('./spawner-child.js', import.meta.url));

interface Waiting {
  resolve: (result: CommandResult) => void;
}

export class Spawner {
  private child: ChildProcess | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private stopped = false;

  /** `childPath`: the compiled child script (tests run from the sources). */
  constructor(private readonly childPath: string = CHILD) {
    this.start();
  }

  /** The runner for the backends: each command goes to the child. */
  readonly runner: CommandRunner = (file, args, input) =>
    new Promise<CommandResult>((resolve) => {
      if (this.stopped) {
        resolve(failed('the spawner is stopped'));
        return;
      }
      const child = this.child !== null && this.child.connected ? this.child : this.start();
      if (!child.connected) {
        // The fork itself failed (out of processes or file descriptors): its 'error' says why.
        this.child = null;
        resolve(failed('cannot start the spawner process'));
        return;
      }
      const id = this.nextId++;
      this.waiting.set(id, { resolve });
      // Only a command in flight keeps the process alive: an idle child never holds up an exit.
      child.channel?.ref();
      const request: SpawnRequest = { id, file, args: [...args], input: input ?? null };
      child.send(request, (error) => {
        if (error === null) return;
        this.waiting.delete(id);
        if (this.waiting.size === 0) child.channel?.unref();
        resolve(failed(`cannot reach the spawner: ${error.message}`));
      });
    });

  /** Stops the child; commands asked for later fail. */
  stop(): void {
    this.stopped = true;
    this.child?.disconnect();
    this.child = null;
  }

  private start(): ChildProcess {
    const child = fork(this.childPath, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
    child.on('message', (message: unknown) => {
      if (!isSpawnReply(message)) return;
      const waiting = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (this.waiting.size === 0) child.channel?.unref();
      waiting?.resolve(message.result);
    });
    const gone = (why: string): void => {
      if (this.child === child) this.child = null;
      // What was in flight may or may not have run: reported as not started, and the caller's next
      // reconcile compares (a later command starts a new child).
      for (const [id, waiting] of this.waiting) {
        this.waiting.delete(id);
        waiting.resolve(failed(why));
      }
    };
    child.on('exit', (code, signal) => gone(`the spawner exited (${signal ?? `code ${String(code)}`})`));
    // A fork that failed, or a channel that broke: never an uncaught error in the daemon.
    child.on('error', (error) => gone(`the spawner failed: ${error.message}`));
    child.unref();
    child.channel?.unref();
    this.child = child;
    return child;
  }
}

function failed(why: string): CommandResult {
  return { exitCode: null, stdout: '', stderr: '', spawnError: why };
}
