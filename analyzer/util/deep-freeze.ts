// For tests: facts frozen all the way down, so that any stage that writes into
// them throws (strict mode) instead of quietly changing what others share.

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
