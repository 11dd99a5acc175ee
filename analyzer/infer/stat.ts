// How sure a belief is: Engler et al.'s z-statistic for proportions (Bugs as
// Deviant Behavior, SOSP 2001), with the same null hypothesis that a pair
// holds by chance with probability P0. It grows with the sample: 9 of 10
// rank above 1 of 1, and 41 of 42 above 9 of 10 (README.md says why this
// and not a Wilson bound).

/** the proportion a belief must beat to be one */
export const P0 = 0.8;
/** a belief is z at least this (9 of 10 is 0.79) */
export const MIN_Z = 0.75;
/** and seen on at least this many paths */
export const MIN_PATHS = 3;

export function zScore(holds: number, n: number): number {
  if (n === 0) return -Infinity;
  return (holds / n - P0) / Math.sqrt((P0 * (1 - P0)) / n);
}
