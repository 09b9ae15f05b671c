// Reading `nft -j` listings of the table back.
import { describe, expect, test } from '@jest/globals';
import { nftStructure } from '../../../src/act/enforcer/nft-structure.js';
import { listingMatches, parseNftListing } from '../../../src/act/enforcer/nft-listing.js';
import { limiterSettings as settings, NOW } from '../../helpers/enforcer.js';

describe('listing', () => {
  const structure = nftStructure(settings());
  const listing = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'sipwarden' } },
      { set: { name: 'deny4', size: 9, elem: ['192.0.2.1', { prefix: { addr: '203.0.113.0', len: 24 } }] } },
      { set: { name: 'block6', elem: [{ elem: { val: '2001:db8::5', timeout: 60, expires: 42 } }] } },
      { chain: { name: 'prerouting' } },
      { rule: { chain: 'prerouting', comment: `sipwarden ruleset ${structure.fingerprint}` } },
    ],
  });

  test('elements, expiries and the fingerprint are read back', () => {
    const parsed = parseNftListing(listing, NOW);
    expect([...(parsed.sets.get('deny4')?.elements ?? [])]).toEqual([
      ['192.0.2.1', null],
      ['203.0.113.0/24', null],
    ]);
    expect([...(parsed.sets.get('block6')?.elements ?? [])]).toEqual([['2001:db8::5', NOW + 42_000]]);
    expect(parsed.fingerprint).toBe(structure.fingerprint);
    // Chains and sets missing: the table must be rebuilt.
    expect(listingMatches(parsed, structure)).toBe(false);
  });
});
