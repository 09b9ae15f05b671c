// The attack journal: append-only daily segments, queried by kind, time and attacker with paging.
export { Journal, type JournalPage, type JournalOptions, type JournalSummary } from './journal.js';
export { type JournalEntry, entryToLine, lineToEntry } from './entry.js';
export {
  planQuery,
  summarize,
  DEFAULT_PER_PAGE,
  type JournalQuery,
  type QueryPlan,
  type SummaryQuery,
  type SummaryPlan,
  type AttackerSummary,
} from './query.js';
