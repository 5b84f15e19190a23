/**
 * Text from outside the code (state files, saved plans, provider output) may
 * carry terminal control sequences: `\x1b]0;title\x07` retitles a terminal,
 * `\x1b[2J` clears it. Everything such a source says is passed through here
 * before it is printed.
 */

// C0 controls except tab and newline, DEL, and C1 controls (U+0080–U+009F, which some terminals also obey).
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const CONTROL_OR_NEWLINE = /[\x00-\x1f\x7f-\x9f]/g;

const escape = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** The text with every control character but tab and newline shown as `\xNN`. */
export function printable(text: string): string {
  return String(text).replace(CONTROL, escape);
}

/** The text as one line: newlines and tabs are escaped too. */
export function printableLine(text: string): string {
  return String(text).replace(CONTROL_OR_NEWLINE, escape);
}
