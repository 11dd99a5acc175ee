// How much of a file a run reads: a limit of the input, so it sits with
// the sources and every layer above (the parser's budget, the loaders, the
// commands' options) takes it from here.

export interface ParseLimits {
  maxFileSize: number;
  /** per-file parse budget in milliseconds; 0 means none */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: ParseLimits = { maxFileSize: 8 * 1024 * 1024, timeoutMs: 20000 };
