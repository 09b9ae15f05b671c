// Pure: `nft -j` listings of sipwarden's table -> its chains, fingerprint and set elements.
import { addressFamily, canonicalAddress } from '../../model/address.js';
import { NFT_FAMILY, NFT_TABLE, type NftStructure } from './nft-structure.js';

/** What `nft -j -t list ruleset` says about the table, with the elements of its managed sets added. */
export interface NftListing {
  /** Whether the table exists. */
  table: boolean;
  /** Fingerprint from the first rule's comment, or null when the rule is missing. */
  fingerprint: string | null;
  /** Rules per chain. */
  chains: Record<string, number>;
  sets: Map<string, { size: number | null; elements: Map<string, number | null> }>;
}

const KERNEL_TEXT = /^(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})$/;

/** A listed address in the text nft takes back: the kernel's own output (inet_ntop) is canonical already; anything else goes through ipaddr.js. */
function listedAddress(text: string): string | null {
  return KERNEL_TEXT.test(text) ? text : canonicalAddress(text);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An element value as the kernel lists it, in the text nft takes back; null when not an address. */
function elementValue(value: Json | undefined): string | null {
  if (typeof value === 'string') return listedAddress(value);
  if (!isObject(value)) return null;
  const prefix = value['prefix'];
  if (isObject(prefix) && typeof prefix['addr'] === 'string' && typeof prefix['len'] === 'number') {
    const addr = listedAddress(prefix['addr']);
    return addr === null ? null : `${addr}/${prefix['len']}`;
  }
  const range = value['range'];
  if (Array.isArray(range) && typeof range[0] === 'string' && typeof range[1] === 'string') {
    const from = listedAddress(range[0]);
    const to = listedAddress(range[1]);
    return from === null || to === null || addressFamily(from) !== addressFamily(to) ? null : `${from}-${to}`;
  }
  return null;
}

/** Whether a listed object belongs to `inet sipwarden` (a ruleset listing holds every table). */
function inOurTable(object: { [key: string]: Json }): boolean {
  return (object['family'] === undefined || object['family'] === NFT_FAMILY) && (object['table'] === undefined || object['table'] === NFT_TABLE);
}

/** Parses `nft -j` listings (`-t list ruleset`, `list set`) of the table; element expiries become ms since epoch relative to `now`. */
export function parseNftListing(text: string, now: number): NftListing {
  const root = JSON.parse(text) as Json;
  const items = isObject(root) && Array.isArray(root['nftables']) ? root['nftables'] : [];
  const listing: NftListing = { table: false, fingerprint: null, chains: {}, sets: new Map() };
  for (const item of items) {
    if (!isObject(item)) continue;
    const table = item['table'];
    if (isObject(table) && table['family'] === NFT_FAMILY && table['name'] === NFT_TABLE) listing.table = true;
    const chain = item['chain'];
    if (isObject(chain) && inOurTable(chain) && typeof chain['name'] === 'string') listing.chains[chain['name']] = 0;
    const rule = item['rule'];
    if (isObject(rule) && inOurTable(rule) && typeof rule['chain'] === 'string') {
      listing.chains[rule['chain']] = (listing.chains[rule['chain']] ?? 0) + 1;
      const comment = rule['comment'];
      const match = typeof comment === 'string' ? /^sipwarden ruleset ([0-9a-f]{8})$/.exec(comment) : null;
      if (match !== null && rule['chain'] === 'prerouting') listing.fingerprint = match[1] ?? null;
    }
    const s = item['set'];
    if (isObject(s) && inOurTable(s) && typeof s['name'] === 'string') {
      const elements = new Map<string, number | null>();
      const elems = Array.isArray(s['elem']) ? s['elem'] : [];
      for (const raw of elems) {
        const inner = isObject(raw) && isObject(raw['elem']) ? raw['elem'] : null;
        const value = elementValue(inner === null ? raw : inner['val']);
        if (value === null) continue;
        const expires = inner !== null && typeof inner['expires'] === 'number' ? inner['expires'] : null;
        elements.set(value, expires === null ? null : now + expires * 1000);
      }
      listing.sets.set(s['name'], { size: typeof s['size'] === 'number' ? s['size'] : null, elements });
    }
  }
  return listing;
}

/** Whether a listed table is the one `structure` describes (same fingerprint, every chain and set whole). */
export function listingMatches(listing: NftListing, structure: NftStructure): boolean {
  if (listing.fingerprint !== structure.fingerprint) return false;
  for (const [chain, rules] of Object.entries(structure.chains)) if (listing.chains[chain] !== rules) return false;
  return structure.sets.every((name) => listing.sets.has(name));
}
