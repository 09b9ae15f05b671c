// Carries TCP connections out of a network namespace: `ip netns exec NS node tcp-bridge.mjs PORT SOCKET`
// listens on 127.0.0.1:PORT inside NS and joins each connection to the Unix socket SOCKET (the file
// system is shared across namespaces). Prints "ready" once listening; exits on SIGTERM.
import net from 'node:net';

const [portText, socketPath] = process.argv.slice(2);
const server = net.createServer((inside) => {
  const outside = net.connect(socketPath);
  inside.pipe(outside).pipe(inside);
  inside.on('error', () => outside.destroy());
  outside.on('error', () => inside.destroy());
});
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
