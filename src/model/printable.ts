// Attacker-controlled text made safe to print: it must not repaint, forge or split lines.

/** Escapes control and bidi characters so caller text cannot repaint or forge terminal lines. */
export function printable(text: string | null | undefined): string {
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
