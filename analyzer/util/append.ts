// Appending one array to another without a spread: `into.push(...from)` passes
// every element as an argument, and an array with a few hundred thousand of
// them (a tree's files, a file's notes or lines) overflows the stack.

/** Pushes every element of `from` onto `into`, in order; returns `into`. */
export function append<T>(into: T[], from: Iterable<T>): T[] {
  for (const x of from) into.push(x);
  return into;
}

/** The largest of `xs`, `empty` when there is none: Math.max(...xs) without the spread. */
export function maxOf(xs: Iterable<number>, empty = -Infinity): number {
  let m = empty;
  for (const x of xs) if (x > m) m = x;
  return m;
}
