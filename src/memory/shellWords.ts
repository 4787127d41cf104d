// Splits a console line into words as a shell does, so that `put "a b" c`
// stores the key `a b`: whitespace separates words; '…' keeps everything
// literally; "…" keeps everything but \" and \\ (backslash-escaped); a
// backslash outside quotes keeps the next character. Pure and total.

export interface ShellWord {
  /** The word with its quotes and escapes removed. */
  text: string;
  /** Where the word starts in the line (its first character, quote included). */
  start: number;
  /** The word had quotes or escapes: its source is not its text. */
  quoted: boolean;
}

export type SplitResult = { ok: true; words: ShellWord[] } | { ok: false; error: string };

export function splitShellWords(line: string): SplitResult {
  const words: ShellWord[] = [];
  let current: ShellWord | null = null;
  let index = 0;
  const begin = (): ShellWord => (current ??= { text: "", start: index, quoted: false });
  while (index < line.length) {
    const char = line[index] ?? "";
    if (/\s/.test(char)) {
      if (current !== null) words.push(current);
      current = null;
      index += 1;
    } else if (char === "'" || char === '"') {
      const word = begin();
      const end = closingQuote(line, index);
      if (end === -1) return { ok: false, error: `unterminated ${char} quote` };
      const inner = line.slice(index + 1, end);
      word.text += char === '"' ? inner.replace(/\\(["\\])/g, "$1") : inner;
      word.quoted = true;
      index = end + 1;
    } else if (char === "\\" && index + 1 < line.length) {
      const word = begin();
      word.text += line[index + 1];
      word.quoted = true;
      index += 2;
    } else {
      begin().text += char;
      index += 1;
    }
  }
  if (current !== null) words.push(current);
  return { ok: true, words };
}

/** The index of the quote closing the one at `open` (-1: none); in "…", \" does not close. */
function closingQuote(line: string, open: number): number {
  const quote = line[open];
  for (let index = open + 1; index < line.length; index++) {
    if (quote === '"' && line[index] === "\\") index += 1;
    else if (line[index] === quote) return index;
  }
  return -1;
}
