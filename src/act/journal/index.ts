// The attack journal: append-only daily segments, queried by kind, time and attacker with paging.
export { Journal, type JournalPage, type JournalOptions } from './journal.js';
export { type JournalEntry, entryToLine, lineToEntry } from './entry.js';
export { planQuery, DEFAULT_PER_PAGE, type JournalQuery, type QueryPlan } from './query.js';
