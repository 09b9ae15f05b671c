// A tiny SIP peer for e2e tests, run inside a network namespace with `ip netns exec NS node sip-peer.mjs`.
//   listen PORT [echo]       UDP + TCP on [::]:PORT (v4 and v6); prints "ready", and on SIGTERM a JSON
//                            count of requests per method and per source; `echo` answers each UDP datagram.
//   send PROTO FROM TO PORT METHOD COUNT [GAP_MS]
//                            sends COUNT requests from address FROM; TCP uses one connection.
import dgram from 'node:dgram';
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);

function request(method, i, from, to) {
  const host = to.includes(':') ? `[${to}]` : to;
  return `${method} sip:100@${host} SIP/2.0\r\nVia: SIP/2.0/UDP ${from.includes(':') ? `[${from}]` : from};branch=z9hG4bK${i}\r\nCall-ID: ${i}@${from}\r\nCSeq: 1 ${method}\r\n${process.env.SIP_UA ? `User-Agent: ${process.env.SIP_UA}\r\n` : ''}Content-Length: 0\r\n\r\n`;
}

if (mode === 'listen') {
  const port = Number(args[0]);
  const echo = args[1] === 'echo';
  const counts = { methods: {}, sources: {}, total: 0 };
  const count = (text, source) => {
    const method = text.split(' ')[0];
    counts.methods[method] = (counts.methods[method] ?? 0) + 1;
    const key = source.replace(/^::ffff:/, '');
    counts.sources[key] = (counts.sources[key] ?? 0) + 1;
    counts.total += 1;
  };
  const udp = dgram.createSocket({ type: 'udp6', ipv6Only: false });
  udp.on('message', (msg, rinfo) => {
    count(msg.toString('latin1'), rinfo.address);
    if (echo) udp.send('SIP/2.0 200 OK\r\n\r\n', rinfo.port, rinfo.address);
  });
  const tcp = net.createServer((socket) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let end;
      while ((end = buffer.indexOf('\r\n\r\n')) >= 0) {
        count(buffer.slice(0, end), socket.remoteAddress ?? '?');
        buffer = buffer.slice(end + 4);
      }
    });
    socket.on('error', () => {});
  });
  let ready = 0;
  const up = () => {
    if (++ready === 2) process.stdout.write('ready\n');
  };
  udp.bind({ port, address: '::' }, up);
  tcp.listen({ port, host: '::', ipv6Only: false }, up);
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify(counts)}\n`, () => process.exit(0));
  });
} else if (mode === 'send') {
  const [proto, from, to, portText, method, countText, gapText] = args;
  const port = Number(portText);
  const total = Number(countText);
  const gap = Number(gapText ?? 0);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  if (proto === 'udp') {
    const socket = dgram.createSocket(to.includes(':') ? 'udp6' : 'udp4');
    await new Promise((r) => socket.bind({ address: from }, r));
    for (let i = 0; i < total; i++) {
      await new Promise((r) => socket.send(request(method, i, from, to), port, to, r));
      if (gap > 0) await sleep(gap);
    }
    // Replies (echo mode) are read so a UDP "connection" is established in conntrack.
    socket.on('message', () => {});
    await sleep(50);
    socket.close();
  } else {
    const socket = net.connect({ host: to, port, localAddress: from });
    socket.on('error', (e) => {
      process.stderr.write(`${e.message}\n`);
    });
    await new Promise((r) => socket.once('connect', r));
    for (let i = 0; i < total; i++) {
      socket.write(request(method, i, from, to));
      if (gap > 0) await sleep(gap);
    }
    await sleep(Number(process.env.TCP_LINGER_MS ?? 1500));
    socket.destroy();
  }
  process.stdout.write(`${JSON.stringify({ sent: total })}\n`);
}
