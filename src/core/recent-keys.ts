// A bounded set of recently finished keys, to tell a late answer from a stray one. Keys are never
// reused, so a ring of the last `size` keys says which one to forget: O(1), where deleting a Set's
// first entry walks over every deleted slot before it (it was the top cost of a busy proxy).

export class RecentKeys {
  #set = new Set<number>();
  #ring: (number | undefined)[];
  #at = 0;

  constructor(size: number) {
    this.#ring = new Array<number | undefined>(size);
  }

  add(key: number): void {
    const old = this.#ring[this.#at];
    if (old !== undefined) this.#set.delete(old);
    this.#ring[this.#at] = key;
    this.#at = (this.#at + 1) % this.#ring.length;
    this.#set.add(key);
  }

  has(key: number): boolean {
    return this.#set.has(key);
  }
}
