// Bumped whenever facts or findings change meaning: it keys the fact cache.
export const VERSION = '0.1.0';
