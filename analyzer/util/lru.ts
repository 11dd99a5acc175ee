// Values kept by key up to a total weight, the least recently used let go first.

export class Lru<V> {
  private items = new Map<string, { v: V; w: number }>();
  private total = 0;

  constructor(private limit: number) {}

  get(k: string): V | undefined {
    const it = this.items.get(k);
    if (!it) return undefined;
    this.items.delete(k);
    this.items.set(k, it);
    return it.v;
  }

  set(k: string, v: V, weight: number): void {
    const old = this.items.get(k);
    if (old) {
      this.total -= old.w;
      this.items.delete(k);
    }
    if (weight > this.limit) return;
    this.items.set(k, { v, w: weight });
    this.total += weight;
    for (const [key, it] of this.items) {
      if (this.total <= this.limit) break;
      this.items.delete(key);
      this.total -= it.w;
    }
  }

  clear(): void {
    this.items.clear();
    this.total = 0;
  }
}
