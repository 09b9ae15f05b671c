// Attacker-controlled text made safe for each place it lands: HTML, plain text, and (never raw) headers.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and attribute values: markup characters become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Control, bidi and backslash characters escaped (`\r`, `\n`, `\x1b`), so text cannot forge or repaint lines. */
export { printable as plainText } from '../../model/printable.js';

/** A header value from trusted text (the host name, the configured From name): one line, no controls. */
export function headerText(text: string, maxLength = 120): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, maxLength);
}

/** Whether text is a canonical address or CIDR (hex digits, dots, colons, a slash): safe anywhere. */
export function isAddressText(text: string): boolean {
  return /^[0-9a-f.:]+(\/\d{1,3})?$/.test(text) && text.length <= 43;
}

/** One line of an attacker's text for a table cell, escaped and cut to a readable length. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
