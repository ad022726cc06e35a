// Keeps the child's last stderr lines for the error a client gets when the child dies.

const MAX_LINES = 10;
const MAX_LINE = 300;

export class StderrTail {
  #lines: string[] = [];
  #partial = '';

  push(chunk: Buffer): void {
    const text = this.#partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.#partial = (parts.pop() ?? '').slice(-MAX_LINE * 4);
    for (const p of parts) this.#add(p);
  }

  lines(): string[] {
    const out = [...this.#lines];
    const partial = this.#partial.trim();
    if (partial) out.push(partial.slice(0, MAX_LINE));
    return out.slice(-MAX_LINES);
  }

  #add(line: string): void {
    const t = line.replace(/\r$/, '').trim();
    if (!t) return;
    this.#lines.push(t.length > MAX_LINE ? `${t.slice(0, MAX_LINE)}…` : t);
    if (this.#lines.length > MAX_LINES) this.#lines.shift();
  }
}
