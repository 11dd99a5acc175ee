// The errors a run expects, in one module of the lowest layer: every layer
// throws them and cli.ts alone turns them into one line and exit code 2,
// so none of them needs to import the layer that first had a use for it.

/** An exception's first line, for a note or a one-line message. */
export function errMsg(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0];
  return String(e);
}

/** A line and column in a file, from 1. */
export interface Position {
  line: number;
  column: number;
}

/** Bad input the user gave: a tree, a patch, a file, a configuration; the message is the one line to print. */
export class InputError extends Error {}

/** A command line that does not make sense. */
export class UsageError extends Error {}

/** A header that cannot be written: the reason, for a one-line refusal of the input it came from. */
export class HeaderError extends Error {}

/** A kernel tree that could not be fetched; `message` is one clear line for the user. */
export class FetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchError';
  }
}

/** `FILE:LINE:COLUMN: KEY: REASON`, without the position when the file has none for the key. */
export class PackError extends Error {
  constructor(public file: string, public key: string, public reason: string, public at?: Position) {
    super(`${file}${at ? `:${at.line}:${at.column}` : ''}: ${key ? `${key}: ` : ''}${reason}`);
  }
}
