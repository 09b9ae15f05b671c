#!/usr/bin/env node
// Writes a deterministic, realistic Asterisk full log for the parse benchmark.
//
//   node bench/generate-asterisk-log.mjs [--lines N] [--seed S] [--attack-share F] OUT
//
// About 80 % of the lines are normal traffic (calls through the dialplan, registrations, qualify,
// RTP, DTMF, CLI and AMI sessions, the security events every legitimate request causes) and about
// 20 % are attacks: chan_sip and PJSIP REGISTER scans and brute force, INVITE toll-fraud probes,
// and the res_security_log events that go with them, from thousands of IPv4 and IPv6 sources.
// The clock runs through one day (2024-01-15), never backwards. The same arguments always give the
// same bytes: randomness comes from a seeded PRNG, never Math.random.
//
// Addresses are documentation and shared ranges only (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 100.64.0.0/10, 192.168.1.0/24, 2001:db8::/32); this only writes text.
// Prints one summary line and nothing else.
import { openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

// ---------------------------------------------------------------------------------------------
// Arguments

function usage(message) {
  process.stderr.write(`generate-asterisk-log: ${message}\nusage: node bench/generate-asterisk-log.mjs [--lines N] [--seed S] [--attack-share F] OUT\n`);
  process.exit(2);
}

const options = { lines: 1_000_000, seed: 'sipwarden-bench-1', attackShare: 0.2, out: null };
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--lines') options.lines = Number(value());
    else if (arg === '--seed') options.seed = value();
    else if (arg === '--attack-share') options.attackShare = Number(value());
    else if (arg === '--help' || arg === '-h') usage('help');
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else if (options.out === null) options.out = arg;
    else usage(`one output file only (got ${arg})`);
  }
  if (options.out === null) usage('name the output file');
  if (!Number.isInteger(options.lines) || options.lines < 1) usage('--lines: use a positive integer');
  if (!(options.attackShare >= 0 && options.attackShare <= 0.9)) usage('--attack-share: use a fraction between 0 and 0.9');
}

// ---------------------------------------------------------------------------------------------
// Seeded PRNG: splitmix32 to seed, xoshiro128** to draw.

function hashSeed(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function splitmix32(state) {
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function xoshiro128ss(seed) {
  const sm = splitmix32(seed);
  let a = sm(),
    b = sm(),
    c = sm(),
    d = sm();
  return () => {
    const result = Math.imul((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return result;
  };
}

const nextU32 = xoshiro128ss(hashSeed(options.seed));
/** Uniform in [0, 1). */
const rand = () => nextU32() / 4294967296;
/** Integer in [lo, hi]. */
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (list) => list[Math.floor(rand() * list.length)];
const chance = (p) => rand() < p;
const hex = (digits) => {
  let s = '';
  while (s.length < digits) s += nextU32().toString(16).padStart(8, '0');
  return s.slice(0, digits);
};
const digits = (n) => {
  let s = String(int(1, 9));
  while (s.length < n) s += String(int(0, 9));
  return s;
};
/** Picks from [[weight, value], ...]. */
function weighted(table) {
  let total = 0;
  for (const [w] of table) total += w;
  let r = rand() * total;
  for (const [w, v] of table) {
    r -= w;
    if (r < 0) return v;
  }
  return table[table.length - 1][1];
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** RFC 5952 text for eight 16-bit groups. */
function ipv6Text(groups) {
  let bestStart = -1,
    bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const h = groups.map((g) => g.toString(16));
  if (bestStart < 0) return h.join(':');
  return `${h.slice(0, bestStart).join(':')}::${h.slice(bestStart + bestLen).join(':')}`;
}

function ipv4Text(n) {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Attacker addresses: the documentation /24s, the shared /10 and 2001:db8::/32, heavy-tailed use. */
function buildAttackerPool() {
  const pool = [];
  const seen = new Set();
  const add = (addr) => {
    if (!seen.has(addr.text)) {
      seen.add(addr.text);
      pool.push(addr);
    }
  };
  for (let i = 0; i < 180; i++) add({ v6: false, text: `198.51.100.${int(1, 254)}` });
  for (let i = 0; i < 180; i++) add({ v6: false, text: `203.0.113.${int(1, 254)}` });
  // 100.64.0.0/10: 4,194,304 addresses; clustered in a few hundred /24s like hosting ranges.
  const nets = Array.from({ length: 400 }, () => (100 << 24) | (64 << 16) | (int(0, 0x3fff) << 8));
  for (let i = 0; i < 4200; i++) add({ v6: false, text: ipv4Text((pick(nets) | int(1, 254)) >>> 0) });
  // 2001:db8::/32: a site /48, a /64 in it, a host part that is small (::5), EUI-64-like or random.
  for (let i = 0; i < 1400; i++) {
    const g = [0x2001, 0x0db8, int(0, 0xffff), int(0, 3) === 0 ? 0 : int(0, 0xff), 0, 0, 0, 0];
    const style = int(0, 2);
    if (style === 0) g[7] = int(1, 0x200);
    else if (style === 1) {
      g[4] = int(0, 0xffff) | 0x0200;
      g[5] = (int(0, 0xff) << 8) | 0xff;
      g[6] = 0xfe00 | int(0, 0xff);
      g[7] = int(0, 0xffff);
    } else for (let k = 4; k < 8; k++) g[k] = int(0, 0xffff);
    add({ v6: true, text: ipv6Text(g), prefix64: g.slice(0, 4) });
  }
  // Heavy hitters first: a pick biased to the start of a shuffled pool.
  for (let i = pool.length - 1; i > 0; i--) {
    const j = int(0, i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool;
}

const attackerPool = buildAttackerPool();
const pickAttacker = () => attackerPool[Math.floor(attackerPool.length * rand() ** 2.2)];
/** A fresh host in the same /64 (an attacker rotating its interface identifier). */
const rotateIn64 = (prefix) => ipv6Text([...prefix, int(0, 0xffff), int(0, 0xffff), int(0, 0xffff), int(1, 0xffff)]);

const SERVER_V4 = '192.0.2.10';
const SERVER_V6 = '2001:db8:feed::10';
const sockText = (addr, port, v6) => (v6 ? `[${addr}]:${port}` : `${addr}:${port}`);
const secAddr = (addr, port, v6, transport = 'UDP') => `IPV${v6 ? 6 : 4}/${transport}/${addr}/${port}`;

// ---------------------------------------------------------------------------------------------
// The clock: one day, lines spaced exponentially; attack bursts come much faster than normal traffic.

const DAY_START = Date.UTC(2024, 0, 15, 0, 0, 0) / 1000; // written as wall time; the log carries no zone
const share = options.attackShare;
// Normal lines are ~10x further apart than attack lines; both together fill ~98 % of the day.
const normalGap = (86_400 * 0.98) / (options.lines * (1 - share + share / 10));
const attackGap = normalGap / 10;
let clock = 1.5; // seconds into the day
let stampSecond = -1;
let stampText = '';

function stamp() {
  const whole = Math.floor(clock);
  if (whole !== stampSecond) {
    stampSecond = whole;
    const d = new Date((DAY_START + whole) * 1000);
    stampText = `[${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}]`;
  }
  return stampText;
}

/** Placeholder for the EventTV of the line being written: filled in once the clock has moved. */
const TV = '\u0000TV\u0000';

function eventTv() {
  const ms = Math.floor(clock * 1000) % 1000;
  return `${new Date((DAY_START + Math.floor(clock)) * 1000).toISOString().slice(0, 19)}.${String(ms).padStart(3, '0')}+0000`;
}

const advance = (gap) => {
  clock += -Math.log(1 - rand()) * gap;
};

// ---------------------------------------------------------------------------------------------
// Output

mkdirSync(dirname(options.out), { recursive: true });
const fd = openSync(options.out, 'w');
let pending = [];
let written = 0;
let attackLines = 0;
const attackersUsed = new Set();
const kindCounts = {};

function flush() {
  if (pending.length > 0) writeSync(fd, `${pending.join('\n')}\n`);
  pending = [];
}

function emit(level, lwp, callId, file, message, attack) {
  if (written >= options.lines) return;
  advance(attack ? attackGap : normalGap);
  const cid = callId === null ? '' : `[C-${callId.toString(16).padStart(8, '0')}]`;
  const text = message.includes(TV) ? message.replace(TV, eventTv()) : message;
  pending.push(`${stamp()} ${level}[${lwp}]${cid} ${file}: ${text}`);
  written++;
  if (attack) attackLines++;
  if (pending.length >= 8192) flush();
}

// Asterisk's thread ids (LWPs) stay the same for the life of the process.
const LWP = {
  sipMonitor: 2417,
  pjsipDistributor: [19388, 19389, 19390, 19391, 19392],
  security: 1204,
  options: 1201,
  registrar: [19402, 19403, 19404],
  cli: 1176,
  manager: 6772,
  sched: 2399,
  outreg: 19410,
};
let nextCallId = 0x1a20;
let nextChannel = 0x3c00;
let nextLwp = 24000;

// ---------------------------------------------------------------------------------------------
// Normal traffic

const PHONES = Array.from({ length: 48 }, (_, i) => ({
  ext: String(200 + i),
  addr: i < 40 ? `192.168.1.${20 + i}` : `198.51.100.${200 + i}`, // a few remote workers
  port: i % 3 === 0 ? 5060 : int(5060, 5090),
  tech: i < 12 ? 'SIP' : 'PJSIP',
  ua: pick([
    'Yealink SIP-T46S 66.86.0.15',
    'Yealink SIP-T54W 96.86.0.100',
    'Grandstream GXP2170 1.0.11.23',
    'PolycomVVX-VVX_411-UA/6.4.3.5018',
    'Zoiper rv2.10.19.6',
    'Linphone/5.2.0 (belle-sip/5.2.0)',
    'MicroSIP/3.21.3',
    'Cisco/SPA504G-7.6.2f',
  ]),
}));
const TRUNK = 'sip-provider';
const PROMPTS = ['custom/welcome', 'custom/main-menu', 'vm-intro', 'beep', 'silence/1', 'queue-thankyou', 'pls-hold-while-try'];
const channelName = (tech, name) => `${tech}/${name}-${(nextChannel++).toString(16).padStart(8, '0')}`;
const bridgeId = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
const rtpPtr = () => `0x7f${hex(10)}`;

function internalCall() {
  const from = pick(PHONES);
  let to = pick(PHONES);
  if (to === from) to = PHONES[(PHONES.indexOf(from) + 1) % PHONES.length];
  const cid = nextCallId++;
  const lwp = nextLwp++;
  const a = channelName(from.tech, from.ext);
  const b = channelName(to.tech, to.ext);
  const ctx = 'from-internal';
  emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${to.ext}@${ctx}:1] NoOp("${a}", "Internal call ${from.ext} -> ${to.ext}") in new stack`, false);
  emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${to.ext}@${ctx}:2] Set("${a}", "CDR(userfield)=internal") in new stack`, false);
  emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${to.ext}@${ctx}:3] Dial("${a}", "${to.tech}/${to.ext},30,tTr") in new stack`, false);
  emit('VERBOSE', lwp, cid, 'app_dial.c', `Called ${to.tech}/${to.ext}`, false);
  emit('VERBOSE', lwp, cid, 'app_dial.c', `${b} is ringing`, false);
  if (chance(0.2)) {
    emit('VERBOSE', lwp, cid, 'app_dial.c', `Nobody picked up in 30000 ms`, false);
    emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${to.ext}@${ctx}:4] VoiceMail("${a}", "${to.ext}@default,u") in new stack`, false);
    emit('VERBOSE', lwp, cid, 'app_voicemail.c', `Recording the message`, false);
    emit('VERBOSE', lwp, cid, 'file.c', `<${a}> Playing 'vm-intro.slin' (language 'en')`, false);
    emit('VERBOSE', lwp, cid, 'file.c', `<${a}> Playing 'beep.slin' (language 'en')`, false);
    emit('VERBOSE', lwp, cid, 'pbx.c', `Spawn extension (${ctx}, ${to.ext}, 4) exited non-zero on '${a}'`, false);
    return;
  }
  emit('VERBOSE', lwp, cid, 'app_dial.c', `${b} answered ${a}`, false);
  const bridge = bridgeId();
  emit('VERBOSE', lwp + 1, cid, 'bridge_channel.c', `Channel ${b} joined 'simple_bridge' basic-bridge <${bridge}>`, false);
  emit('VERBOSE', lwp, cid, 'bridge_channel.c', `Channel ${a} joined 'simple_bridge' basic-bridge <${bridge}>`, false);
  emit(
    'VERBOSE',
    lwp,
    cid,
    'res_rtp_asterisk.c',
    `${rtpPtr()} -- Strict RTP learning after remote address set to: ${from.addr}:${int(10000, 20000) * 2}`,
    false,
  );
  emit(
    'VERBOSE',
    lwp + 1,
    cid,
    'res_rtp_asterisk.c',
    `${rtpPtr()} -- Strict RTP learning after remote address set to: ${to.addr}:${int(10000, 20000) * 2}`,
    false,
  );
  if (chance(0.5))
    emit(
      'VERBOSE',
      lwp,
      cid,
      'res_rtp_asterisk.c',
      `${rtpPtr()} -- Strict RTP switching to RTP target address ${from.addr}:${int(10000, 20000) * 2} as source`,
      false,
    );
  if (chance(0.15)) dtmf(lwp, cid, a, int(1, 4));
  const leaver = chance(0.5) ? [a, b] : [b, a];
  emit('VERBOSE', lwp + 1, cid, 'bridge_channel.c', `Channel ${leaver[0]} left 'simple_bridge' basic-bridge <${bridge}>`, false);
  emit('VERBOSE', lwp, cid, 'bridge_channel.c', `Channel ${leaver[1]} left 'simple_bridge' basic-bridge <${bridge}>`, false);
  emit('VERBOSE', lwp, cid, 'pbx.c', `Spawn extension (${ctx}, ${to.ext}, 3) exited non-zero on '${a}'`, false);
}

function dtmf(lwp, cid, channel, count) {
  for (let i = 0; i < count; i++) {
    const digit = pick('0123456789*#'.split(''));
    emit('DTMF', lwp, cid, 'channel.c', `DTMF begin '${digit}' received on ${channel}`, false);
    emit('DTMF', lwp, cid, 'channel.c', `DTMF end '${digit}' received on ${channel}, duration ${int(60, 240)} ms`, false);
  }
}

function outboundCall() {
  const from = pick(PHONES);
  const number = pick(['0', '00', '']) + digits(int(9, 12));
  const cid = nextCallId++;
  const lwp = nextLwp++;
  const a = channelName(from.tech, from.ext);
  const b = channelName('PJSIP', TRUNK);
  emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${number}@from-internal:1] Set("${a}", "CALLERID(num)=+3215551${from.ext}") in new stack`, false);
  emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${number}@from-internal:2] Dial("${a}", "PJSIP/${number}@${TRUNK},60,T") in new stack`, false);
  emit('VERBOSE', lwp, cid, 'app_dial.c', `Called PJSIP/${number}@${TRUNK}`, false);
  emit('VERBOSE', lwp, cid, 'app_dial.c', `${b} is making progress passing it to ${a}`, false);
  if (chance(0.25)) {
    emit('VERBOSE', lwp, cid, 'app_dial.c', `Everyone is busy/congested at this time (1:0/0/1)`, false);
    emit('VERBOSE', lwp, cid, 'pbx.c', `Auto fallthrough, channel '${a}' status is 'CONGESTION'`, false);
    return;
  }
  emit('VERBOSE', lwp, cid, 'app_dial.c', `${b} answered ${a}`, false);
  const bridge = bridgeId();
  emit('VERBOSE', lwp + 1, cid, 'bridge_channel.c', `Channel ${b} joined 'simple_bridge' basic-bridge <${bridge}>`, false);
  emit('VERBOSE', lwp, cid, 'bridge_channel.c', `Channel ${a} joined 'simple_bridge' basic-bridge <${bridge}>`, false);
  emit(
    'VERBOSE',
    lwp,
    cid,
    'res_rtp_asterisk.c',
    `${rtpPtr()} -- Strict RTP learning after remote address set to: 203.0.113.254:${int(10000, 30000) * 2}`,
    false,
  );
  if (chance(0.3)) dtmf(lwp, cid, a, int(2, 8));
  emit('VERBOSE', lwp + 1, cid, 'bridge_channel.c', `Channel ${b} left 'simple_bridge' basic-bridge <${bridge}>`, false);
  emit('VERBOSE', lwp, cid, 'bridge_channel.c', `Channel ${a} left 'simple_bridge' basic-bridge <${bridge}>`, false);
  emit('VERBOSE', lwp, cid, 'pbx.c', `Spawn extension (from-internal, ${number}, 2) exited non-zero on '${a}'`, false);
}

function inboundCall() {
  const cid = nextCallId++;
  const lwp = nextLwp++;
  const a = channelName('PJSIP', TRUNK);
  const did = `3215551${int(100, 199)}`;
  emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${did}@from-trunk:1] Answer("${a}", "") in new stack`, false);
  emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${did}@from-trunk:2] Playback("${a}", "${pick(PROMPTS)}") in new stack`, false);
  emit('VERBOSE', lwp, cid, 'file.c', `<${a}> Playing '${pick(PROMPTS)}.slin' (language 'en')`, false);
  emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [${did}@from-trunk:3] Background("${a}", "custom/main-menu") in new stack`, false);
  emit('VERBOSE', lwp, cid, 'file.c', `<${a}> Playing 'custom/main-menu.slin' (language 'en')`, false);
  if (chance(0.6)) dtmf(lwp, cid, a, 1);
  if (chance(0.5)) {
    emit('VERBOSE', lwp, cid, 'pbx.c', `Executing [s@support:1] Queue("${a}", "support,tT,,,300") in new stack`, false);
    emit('VERBOSE', lwp, cid, 'res_musiconhold.c', `Started music on hold, class 'default', on channel '${a}'`, false);
    const agent = pick(PHONES);
    const b = channelName(agent.tech, agent.ext);
    emit('VERBOSE', lwp, cid, 'app_queue.c', `Called ${agent.tech}/${agent.ext}`, false);
    emit('VERBOSE', lwp, cid, 'app_queue.c', `${b} is ringing`, false);
    emit('VERBOSE', lwp, cid, 'app_queue.c', `${b} answered ${a}`, false);
    emit('VERBOSE', lwp, cid, 'res_musiconhold.c', `Stopped music on hold on ${a}`, false);
    const bridge = bridgeId();
    emit('VERBOSE', lwp, cid, 'bridge_channel.c', `Channel ${a} joined 'simple_bridge' basic-bridge <${bridge}>`, false);
    emit('VERBOSE', lwp + 1, cid, 'bridge_channel.c', `Channel ${b} joined 'simple_bridge' basic-bridge <${bridge}>`, false);
    emit('VERBOSE', lwp, cid, 'bridge_channel.c', `Channel ${a} left 'simple_bridge' basic-bridge <${bridge}>`, false);
    emit('VERBOSE', lwp + 1, cid, 'bridge_channel.c', `Channel ${b} left 'simple_bridge' basic-bridge <${bridge}>`, false);
  }
  emit('VERBOSE', lwp, cid, 'pbx.c', `Spawn extension (from-trunk, ${did}, 3) exited non-zero on '${a}'`, false);
}

function registration() {
  const phone = pick(PHONES);
  const contact = `sip:${phone.ext}@${phone.addr}:${phone.port}`;
  if (phone.tech === 'SIP') {
    if (chance(0.5)) {
      emit(
        'SECURITY',
        LWP.security,
        null,
        'res_security_log.c',
        `SecurityEvent="ChallengeSent",EventTV="${TV}",Severity="Informational",Service="SIP",EventVersion="1",AccountID="${phone.ext}",SessionID="0x7f${hex(10)}",LocalAddress="${secAddr(SERVER_V4, 5060, false)}",RemoteAddress="${secAddr(phone.addr, phone.port, false)}",Challenge="${hex(8)}"`,
        false,
      );
      emit(
        'SECURITY',
        LWP.security,
        null,
        'res_security_log.c',
        `SecurityEvent="SuccessfulAuth",EventTV="${TV}",Severity="Informational",Service="SIP",EventVersion="1",AccountID="${phone.ext}",SessionID="0x7f${hex(10)}",LocalAddress="${secAddr(SERVER_V4, 5060, false)}",RemoteAddress="${secAddr(phone.addr, phone.port, false)}",UsingPassword="1"`,
        false,
      );
    }
    if (chance(0.3)) emit('VERBOSE', LWP.sipMonitor, null, 'chan_sip.c', `Saved useragent "${phone.ua}" for peer ${phone.ext}`, false);
    emit('VERBOSE', LWP.sipMonitor, null, 'chan_sip.c', `Registered SIP '${phone.ext}' at ${phone.addr}:${phone.port}`, false);
    if (chance(0.4)) emit('NOTICE', LWP.sched, null, 'chan_sip.c', `Peer '${phone.ext}' is now Reachable. (${int(2, 80)}ms / 2000ms)`, false);
    return;
  }
  const callid = `${hex(8)}-${hex(4)}-${hex(4)}`;
  emit(
    'SECURITY',
    LWP.security,
    null,
    'res_security_log.c',
    `SecurityEvent="ChallengeSent",EventTV="${TV}",Severity="Informational",Service="PJSIP",EventVersion="1",AccountID="${phone.ext}",SessionID="${callid}",LocalAddress="${secAddr(SERVER_V4, 5060, false)}",RemoteAddress="${secAddr(phone.addr, phone.port, false)}",Challenge="${Math.floor(DAY_START + clock)}/${hex(32)}"`,
    false,
  );
  emit(
    'SECURITY',
    LWP.security,
    null,
    'res_security_log.c',
    `SecurityEvent="SuccessfulAuth",EventTV="${TV}",Severity="Informational",Service="PJSIP",EventVersion="1",AccountID="${phone.ext}",SessionID="${callid}",LocalAddress="${secAddr(SERVER_V4, 5060, false)}",RemoteAddress="${secAddr(phone.addr, phone.port, false)}",UsingPassword="1"`,
    false,
  );
  if (chance(0.15)) {
    emit(
      'VERBOSE',
      pick(LWP.registrar),
      null,
      'res_pjsip_registrar.c',
      `Added contact '${contact};ob' to AOR '${phone.ext}' with expiration of 3600 seconds`,
      false,
    );
    emit(
      'VERBOSE',
      LWP.options,
      null,
      'res_pjsip/pjsip_options.c',
      `Contact ${phone.ext}/${contact};ob is now Reachable.  RTT: ${(rand() * 60 + 1).toFixed(3)} msec`,
      false,
    );
    emit('VERBOSE', LWP.options, null, 'res_pjsip/pjsip_configuration.c', `Endpoint ${phone.ext} is now Reachable`, false);
  }
}

function qualify() {
  const phone = pick(PHONES);
  if (phone.tech === 'SIP') {
    if (chance(0.7)) emit('NOTICE', LWP.sched, null, 'chan_sip.c', `Peer '${phone.ext}' is now Lagged. (${int(2001, 4000)}ms / 2000ms)`, false);
    else emit('NOTICE', LWP.sched, null, 'chan_sip.c', `Peer '${phone.ext}' is now UNREACHABLE!  Last qualify: ${int(0, 200)}`, false);
    return;
  }
  const contact = `sip:${phone.ext}@${phone.addr}:${phone.port};ob`;
  if (chance(0.5)) {
    emit('VERBOSE', LWP.options, null, 'res_pjsip/pjsip_options.c', `Contact ${phone.ext}/${contact} is now Unreachable.  RTT: 0.000 msec`, false);
    emit('VERBOSE', LWP.options, null, 'res_pjsip/pjsip_configuration.c', `Endpoint ${phone.ext} is now Unreachable`, false);
  } else {
    emit(
      'VERBOSE',
      LWP.options,
      null,
      'res_pjsip/pjsip_options.c',
      `Contact ${phone.ext}/${contact} is now Reachable.  RTT: ${(rand() * 60 + 1).toFixed(3)} msec`,
      false,
    );
  }
  if (chance(0.2))
    emit('VERBOSE', pick(LWP.registrar), null, 'res_pjsip_registrar.c', `Removed contact '${contact}' from AOR '${phone.ext}' due to request`, false);
}

function housekeeping() {
  const kind = weighted([
    [5, 'cli'],
    [3, 'ami'],
    [2, 'outreg'],
    [1, 'retrans'],
    [1, 'reload'],
  ]);
  if (kind === 'cli') {
    emit('VERBOSE', LWP.cli, null, 'asterisk.c', 'Remote UNIX connection', false);
    emit('VERBOSE', LWP.cli, null, 'asterisk.c', 'Remote UNIX connection disconnected', false);
  } else if (kind === 'ami') {
    const user = pick(['admin', 'dashboard', 'crm']);
    const from = pick(['127.0.0.1', '192.168.1.5']);
    emit('VERBOSE', LWP.manager, null, 'manager.c', `Manager '${user}' logged on from ${from}`, false);
    emit(
      'SECURITY',
      LWP.security,
      null,
      'res_security_log.c',
      `SecurityEvent="SuccessfulAuth",EventTV="${TV}",Severity="Informational",Service="AMI",EventVersion="1",AccountID="${user}",SessionID="0x7f${hex(10)}",LocalAddress="IPV4/TCP/0.0.0.0/5038",RemoteAddress="IPV4/TCP/${from}/${int(32768, 60999)}",UsingPassword="0",SessionTV="${eventTv()}"`,
      false,
    );
    emit('VERBOSE', LWP.manager, null, 'manager.c', `Manager '${user}' logged off from ${from}`, false);
  } else if (kind === 'outreg') {
    emit(
      'WARNING',
      LWP.outreg,
      null,
      'res_pjsip_outbound_registration.c',
      `No response received from 'sip:sip.provider.example:5060' on registration attempt to 'sip:3215551100@sip.provider.example', retrying in '60'`,
      false,
    );
  } else if (kind === 'retrans') {
    emit(
      'WARNING',
      LWP.sipMonitor,
      null,
      'chan_sip.c',
      `Retransmission timeout reached on transmission ${hex(32)}@${SERVER_V4}:5060 for seqno ${int(101, 120)} (Critical Request) -- See https://wiki.asterisk.org/wiki/display/AST/SIP+Retransmissions`,
      false,
    );
  } else {
    emit('VERBOSE', LWP.cli, null, 'asterisk.c', 'Remote UNIX connection', false);
    emit('NOTICE', LWP.cli, null, 'cdr.c', 'CDR simple logging enabled.', false);
    emit('VERBOSE', LWP.cli, null, 'config.c', `Parsing '/etc/asterisk/pjsip.conf': Found`, false);
    emit('VERBOSE', LWP.cli, null, 'asterisk.c', 'Remote UNIX connection disconnected', false);
  }
}

function normalTraffic() {
  const what = weighted([
    [30, internalCall],
    [16, outboundCall],
    [12, inboundCall],
    [28, registration],
    [8, qualify],
    [6, housekeeping],
  ]);
  what();
}

// ---------------------------------------------------------------------------------------------
// Attacks: sessions from one source, several running at once.

const USERS = [
  '100',
  '101',
  '102',
  '200',
  '201',
  '1000',
  '1001',
  '1234',
  '2000',
  'admin',
  'test',
  'user',
  'guest',
  'sip',
  'asterisk',
  'voip',
  'operator',
  'support',
  'office',
  'pbx',
];
const SCAN_UAS = ['friendly-scanner', 'sipvicious', 'sipcli/v1.8', 'VaxSIPUserAgent/3.1', 'pplsip', 'Z 3.14.38765 rv2.8.3'];
const DIAL = () => pick(['00972', '011972', '0046', '9011', '00441', '011441', '+1', '00', '9']) + digits(int(7, 11));
const CHAN_SIP_REASONS = [
  [70, 'Wrong password'],
  [18, 'No matching peer found'],
  [5, 'Username/auth name mismatch'],
  [4, 'Device does not match ACL'],
  [3, 'Not a local domain'],
];

function sessionType(v6) {
  return weighted([
    [24, 'chansip-register'],
    [26, 'pjsip-scan'],
    [14, 'pjsip-bruteforce'],
    [14, 'pjsip-invite'],
    [10, 'chansip-invite'],
    [6, 'pjsip-call-rejected'],
    [v6 ? 0 : 6, 'unidentified'],
  ]);
}

function newSession() {
  const who = pickAttacker();
  const length = weighted([
    [70, () => int(1, 15)],
    [25, () => int(15, 150)],
    [5, () => int(150, 1500)],
  ])();
  return {
    who,
    type: sessionType(who.v6),
    left: length,
    port: chance(0.5) ? 5060 : int(5061, 65000),
    rotate: who.v6 && chance(0.3),
    fixedUser: chance(0.5) ? pick(USERS) : null,
    ua: pick(SCAN_UAS),
    tries: 0,
  };
}

function fromHeader(user, host, style) {
  if (style === 0) return `<sip:${user}@${host}>`;
  if (style === 1) return `"${user}" <sip:${user}@${host}>`;
  return `<sip:${user}@${host};transport=UDP>`;
}

function callId(s) {
  if (s.ua === 'friendly-scanner' || s.ua === 'sipvicious') return `${digits(10)}${digits(10)}${int(100, 999)}`;
  if (chance(0.5)) return `${hex(8)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  return `${digits(10)}-${int(5060, 5099)}-1`;
}

function attackStep(s) {
  s.left--;
  const addr = s.rotate ? rotateIn64(s.who.prefix64) : s.who.text;
  attackersUsed.add(addr);
  const v6 = s.who.v6;
  const server = v6 ? SERVER_V6 : SERVER_V4;
  const serverHost = v6 ? `[${server}]` : server;
  const user = s.fixedUser ?? (chance(0.6) ? String(int(100, 9999)) : pick(USERS));
  const sock = sockText(addr, s.port, v6);
  const local = secAddr(server, 5060, v6);
  const remote = secAddr(addr, s.port, v6);
  const sec = (event, extra, service, version = '1', session = callId(s)) =>
    emit(
      'SECURITY',
      LWP.security,
      null,
      'res_security_log.c',
      `SecurityEvent="${event}",EventTV="${TV}",Severity="${event === 'ChallengeSent' ? 'Informational' : 'Error'}",Service="${service}",EventVersion="${version}",AccountID="${user}",SessionID="${session}",LocalAddress="${local}",RemoteAddress="${remote}"${extra}`,
      true,
    );
  kindCounts[s.type] = (kindCounts[s.type] ?? 0) + 1;

  switch (s.type) {
    case 'chansip-register': {
      const reason = weighted(CHAN_SIP_REASONS);
      const from = chance(0.5) ? `"${user}"<sip:${user}@${serverHost}>` : `<sip:${user}@${serverHost}>`;
      const session = `0x7f${hex(10)}`;
      if (chance(0.5)) sec('ChallengeSent', `,Challenge="${hex(8)}"`, 'SIP', '1', session);
      emit('NOTICE', LWP.sipMonitor, null, 'chan_sip.c', `Registration from '${from}' failed for '${sock}' - ${reason}`, true);
      if (reason === 'Wrong password')
        sec('InvalidPassword', `,Challenge="${hex(8)}",ReceivedChallenge="${hex(8)}",ReceivedHash="${hex(32)}"`, 'SIP', '2', session);
      else if (reason === 'No matching peer found') sec('InvalidAccountID', '', 'SIP', '1', session);
      break;
    }
    case 'pjsip-scan': {
      const cid = callId(s);
      const lwp = pick(LWP.pjsipDistributor);
      if (chance(0.6)) sec('ChallengeSent', `,Challenge="${Math.floor(DAY_START + clock)}/${hex(32)}"`, 'PJSIP', '1', cid);
      emit(
        'NOTICE',
        lwp,
        null,
        'res_pjsip/pjsip_distributor.c',
        `Request 'REGISTER' from '${fromHeader(user, serverHost, int(0, 2))}' failed for '${sock}' (callid: ${cid}) - No matching endpoint found`,
        true,
      );
      sec('InvalidAccountID', '', 'PJSIP', '1', cid);
      break;
    }
    case 'unidentified': {
      // unidentified_request_count reached: the count and period ride along.
      s.tries++;
      const cid = callId(s);
      const lwp = pick(LWP.pjsipDistributor);
      const suffix = s.tries % 5 === 0 ? ` after ${s.tries} tries in ${(int(1, 4000) / 1000).toFixed(3)} ms` : '';
      const method = chance(0.8) ? 'REGISTER' : 'INVITE';
      const target = method === 'INVITE' ? DIAL() : user;
      emit(
        'NOTICE',
        lwp,
        null,
        'res_pjsip/pjsip_distributor.c',
        `Request '${method}' from '${fromHeader(target, serverHost, int(0, 1))}' failed for '${sock}' (callid: ${cid}) - No matching endpoint found${suffix}`,
        true,
      );
      if (suffix !== '') sec('InvalidAccountID', '', 'PJSIP', '1', cid);
      break;
    }
    case 'pjsip-bruteforce': {
      const cid = callId(s);
      const lwp = pick(LWP.pjsipDistributor);
      sec('ChallengeSent', `,Challenge="${Math.floor(DAY_START + clock)}/${hex(32)}"`, 'PJSIP', '1', cid);
      emit(
        'NOTICE',
        lwp,
        null,
        'res_pjsip/pjsip_distributor.c',
        `Request 'REGISTER' from '${fromHeader(user, serverHost, int(0, 1))}' failed for '${sock}' (callid: ${cid}) - Failed to authenticate`,
        true,
      );
      sec('ChallengeResponseFailed', `,Challenge="${Math.floor(DAY_START + clock)}/${hex(32)}",Response="${hex(32)}",ExpectedResponse=""`, 'PJSIP', '1', cid);
      break;
    }
    case 'pjsip-invite': {
      const cid = callId(s);
      const lwp = pick(LWP.pjsipDistributor);
      const from = chance(0.5) ? `"${user}" <sip:${user}@${addr.includes(':') ? `[${addr}]` : addr}>` : fromHeader(user, serverHost, 0);
      const reason = chance(0.7) ? 'No matching endpoint found' : 'Failed to authenticate';
      if (reason === 'Failed to authenticate') sec('ChallengeSent', `,Challenge="${Math.floor(DAY_START + clock)}/${hex(32)}"`, 'PJSIP', '1', cid);
      emit('NOTICE', lwp, null, 'res_pjsip/pjsip_distributor.c', `Request 'INVITE' from '${from}' failed for '${sock}' (callid: ${cid}) - ${reason}`, true);
      if (reason === 'No matching endpoint found') sec('InvalidAccountID', '', 'PJSIP', '1', cid);
      else
        sec('ChallengeResponseFailed', `,Challenge="${Math.floor(DAY_START + clock)}/${hex(32)}",Response="${hex(32)}",ExpectedResponse=""`, 'PJSIP', '1', cid);
      break;
    }
    case 'chansip-invite': {
      const ctx = pick(['default', 'from-sip-external', 'public']);
      emit(
        'NOTICE',
        nextLwp++,
        nextCallId++,
        'chan_sip.c',
        `Call from '${chance(0.8) ? '' : user}' (${sock}) to extension '${DIAL()}' rejected because extension not found in context '${ctx}'.`,
        true,
      );
      break;
    }
    case 'pjsip-call-rejected': {
      // Asterisk 16.14+ wording (anonymous endpoint), and the older "Call from 'anonymous'".
      const transport = chance(0.85) ? 'UDP' : 'TCP';
      if (chance(0.6))
        emit(
          'NOTICE',
          nextLwp++,
          nextCallId++,
          'res_pjsip_session.c',
          ` anonymous: Call (${transport}:${sock}) to extension '${DIAL()}' rejected because extension not found in context 'from-external'.`,
          true,
        );
      else
        emit(
          'NOTICE',
          nextLwp++,
          nextCallId++,
          'res_pjsip_session.c',
          `Call from 'anonymous' (${transport}:${sock}) to extension '${DIAL()}' rejected because extension not found in context 'default'.`,
          true,
        );
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Main loop: interleave normal traffic with 1-4 concurrent attack sessions, holding the attack share.

const started = process.hrtime.bigint();
const sessions = [newSession()];
while (written < options.lines) {
  const behind = attackLines < share * written;
  if (share > 0 && rand() < (behind ? 0.75 : 0.02)) {
    if (sessions.length < 4 && chance(0.05)) sessions.push(newSession());
    const i = Math.floor(rand() * sessions.length);
    const s = sessions[i];
    attackStep(s);
    if (s.left <= 0) sessions[i] = newSession();
  } else {
    normalTraffic();
  }
}
flush();
closeSync(fd);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const endTime = new Date((DAY_START + Math.floor(clock)) * 1000).toISOString().slice(11, 19);
process.stdout.write(
  `wrote ${written} lines to ${options.out}: ${attackLines} attack (${((100 * attackLines) / written).toFixed(1)} %), ` +
    `${attackersUsed.size} distinct attacker addresses, 2024-01-15 00:00:01..${endTime}, seed "${options.seed}", ${seconds.toFixed(1)} s\n`,
);
