// Makes a TCP service of the test process (root namespace, 127.0.0.1) reachable as 127.0.0.1:PORT
// inside a lab namespace, e.g. the test SMTP server for the daemon's alert mails.
import { execa } from 'execa';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BRIDGE = fileURLToPath(new URL('./tcp-bridge.mjs', import.meta.url));

export interface Bridge {
  close(): Promise<void>;
}

/** 127.0.0.1:`port` in `netns` -> a Unix socket in `dir` -> 127.0.0.1:`targetPort` here. */
export async function bridgeIntoNamespace(options: { netns: string; port: number; targetPort: number; dir: string }): Promise<Bridge> {
  const socketPath = join(options.dir, `bridge-${options.port}.sock`);
  rmSync(socketPath, { force: true });
  const open = new Set<net.Socket>();
  const relay = net.createServer((from) => {
    const to = net.connect(options.targetPort, '127.0.0.1');
    open.add(from).add(to);
    from.on('close', () => open.delete(from));
    to.on('close', () => open.delete(to));
    from.pipe(to).pipe(from);
    from.on('error', () => to.destroy());
    to.on('error', () => from.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(socketPath, resolve));
  const child = execa('ip', ['netns', 'exec', options.netns, process.execPath, BRIDGE, String(options.port), socketPath], { reject: false });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    void child.then((r) => reject(new Error(`bridge exited: ${String(r.stderr)}`)));
  });
  return {
    async close() {
      child.kill('SIGTERM');
      await child;
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      rmSync(socketPath, { force: true });
    },
  };
}
