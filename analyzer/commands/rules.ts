export function rulesCmd(_a: { action: string }): number {
  return 0;
}
