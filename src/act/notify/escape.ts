// Attacker-controlled text made safe for each place it lands: HTML, plain text, and (never raw) headers.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and attribute values: markup characters become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Control, bidi and backslash characters escaped (`\r`, `\n`, `\x1b`), so text cannot forge or repaint lines. */
export function plainText(text: string | null | undefined): string {
  if (text === null || text === undefined) return '-';
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/g, (ch) => {
    switch (ch) {
      case '\\':
        return '\\\\';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default: {
        const code = ch.charCodeAt(0);
        return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}

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
