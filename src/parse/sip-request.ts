// The start of a SIP request (request line and headers) -> method, user, User-Agent; pure.

export interface SipRequest {
  method: string;
  requestUri: string;
  /** The user part of the From URI (or of the To URI for REGISTER, which names the account). */
  user: string | null;
  userAgent: string | null;
}

/** Compact header names (RFC 3261 section 7.3.3) for the headers read here. */
const COMPACT: Record<string, string> = { f: 'from', t: 'to' };
const REQUEST_LINE = /^([A-Z]{3,16}) (\S{1,1024}) SIP\/2\.0$/;

function uriUser(value: string): string | null {
  const m = /<?(?:sips?|tel):([^@;>\s]+)@/i.exec(value) ?? /<?tel:([^;>\s]+)/i.exec(value);
  return m?.[1] ?? null;
}

/** Reads a SIP request; headers cut off by a short capture are simply absent. Null if not a request. */
export function parseSipRequest(payload: Uint8Array): SipRequest | null {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(payload.subarray(0, 4096));
  const lines = text.split(/\r?\n/);
  const m = REQUEST_LINE.exec(lines[0] ?? '');
  if (m === null) return null;
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const method = m[1] as string;
  const from = headers.get('from');
  const to = headers.get('to');
  const user = (method === 'REGISTER' && to !== undefined ? uriUser(to) : null) ?? (from === undefined ? null : uriUser(from));
  return { method, requestUri: m[2] as string, user, userAgent: headers.get('user-agent') ?? null };
}
