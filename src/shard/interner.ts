/** One copy of each name per shard: ids are dense integers that index the typed-array columns. */
export class Interner {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  get size(): number {
    return this.names.length;
  }

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** Returns the id of `name`, adding it if new. */
  intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  static from(names: string[]): Interner {
    const interner = new Interner();
    for (const name of names) interner.intern(name);
    return interner;
  }
}
