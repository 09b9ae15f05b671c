// Copies of substrings that do not keep the text they were cut from alive.

/**
 * A copy of a substring that does not keep its source alive: V8 may represent a substring as a
 * view of the whole text it came from (in replay, a 4 MB chunk), and what is kept outlives chunks.
 * Strings shorter than 13 characters are always copies already.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (' ' + text).slice(1);
}
