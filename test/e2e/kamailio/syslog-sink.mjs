// A syslog daemon in miniature for Kamailio's log_custom `udp` log engine, run inside a network
// namespace: `node syslog-sink.mjs PORT FILE [HOST]`. Each datagram is one log message,
// `(PID) LEVEL: <script>: text\n`; it is appended to FILE as rsyslog's RSYSLOG_FileFormat writes it,
// `2024-01-15T10:23:45.123000+00:00 HOST kamailio[PID]: LEVEL: <script>: text`, with control
// characters escaped as #ooo (rsyslog's default), so a CR/LF a caller folded into a header can
// never start a line of its own. Prints "ready" once bound; exits on SIGTERM.
import dgram from 'node:dgram';
import { openSync, writeSync } from 'node:fs';

const [portText, file, host = 'pbx'] = process.argv.slice(2);
const fd = openSync(file, 'a');
const socket = dgram.createSocket('udp4');

function stamp(ms) {
  return new Date(ms).toISOString().replace(/Z$/, '000+00:00');
}

socket.on('message', (datagram) => {
  const text = datagram.toString('latin1').replace(/\n$/, '');
  const match = /^\((\d+)\) ([^]*)$/.exec(text);
  const pid = match === null ? '0' : match[1];
  const message = (match === null ? text : match[2]).replace(/[\x00-\x1f\x7f]/g, (c) => `#${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  writeSync(fd, Buffer.from(`${stamp(Date.now())} ${host} kamailio[${pid}]: ${message}\n`, 'latin1'));
});
socket.bind(Number(portText), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
