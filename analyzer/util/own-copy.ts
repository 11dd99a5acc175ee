// A string that owns its characters. V8 makes a substring of 13 characters or
// more a slice that keeps the whole original alive, so a name cut from a file
// and kept (in facts, in a memo) keeps the whole file. A copy does not.

export function ownCopy(s: string): string {
  if (s.length < 13) return s; // V8 copies short substrings anyway
  // one byte a character when the text allows it, as a file read as latin1 always does
  return /[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf16le').toString('utf16le') : Buffer.from(s, 'latin1').toString('latin1');
}
