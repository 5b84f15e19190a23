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

/**
 * The SGR sequences style.ts paints with (foreground colours, bold, dim and
 * their resets). Only these pass to a terminal; no background colour or
 * `conceal`, so nothing can hide a line of a plan from its reader.
 */
const OWN_SGR = /\x1b\[(?:1|2|22|3[1-6]|39|90)m/y;

/**
 * What hvkit writes to a terminal: every control character is escaped as
 * `\uNNNN` except newline, tab and the colours hvkit paints itself. Applied to
 * everything the CLI prints, so a name, a state file, a saved plan or a
 * provider's stderr cannot retitle, clear or rewrite the reader's terminal.
 */
export function terminalSafe(text: string): string {
  let out = '';
  let last = 0;
  CONTROL.lastIndex = 0;
  for (let m = CONTROL.exec(text); m; m = CONTROL.exec(text)) {
    OWN_SGR.lastIndex = m.index;
    const own = OWN_SGR.exec(text);
    if (own) {
      CONTROL.lastIndex = m.index + own[0].length;
      continue;
    }
    // \uNNNN rather than \xNN: JSON output may carry DEL and C1 raw inside strings, and there this keeps it valid JSON.
    out += text.slice(last, m.index) + `\\u${m[0].charCodeAt(0).toString(16).padStart(4, '0')}`;
    last = m.index + 1;
  }
  return last === 0 ? text : out + text.slice(last);
}
