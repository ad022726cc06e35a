// A child's output pipe, kept for the proxy when the child exits before the proxy reads it.
//
// Node resumes a child's stdout and stderr when the child exits (child_process's flushStdio):
// what the child wrote and nobody has read yet is then read and dropped, and the pipe's 'close'
// comes and goes unseen. The proxy reads only after its own start-up (the server is started
// before mcp-leash has loaded, src/early-start.ts), and a server that fails fast exits in that
// window: its last words, which say why it died, were lost, and the proxy waited its full bound
// for a 'close' that had already passed. So at the child's exit (before Node's flush) a pipe that
// nobody reads yet starts flowing into a list the proxy gets first. Until then it stays unread, so
// the kernel's pipe buffer holds back a child that writes a lot before mcp-leash is ready.

import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';

export interface PipeHandlers {
  data(chunk: Buffer): void;
  end?(): void;
  close?(): void;
}

export class PipeReader {
  #held: Buffer[] = [];
  #handlers: PipeHandlers | undefined;
  #flowing = false;
  #ended = false;
  #closed = false;

  /** `child` is the process whose pipe `stream` is. Pausing `stream` (backpressure) works as before. */
  constructor(
    readonly stream: Readable,
    child: EventEmitter,
  ) {
    stream.once('end', () => {
      this.#ended = true;
      this.#handlers?.end?.();
    });
    stream.once('close', () => {
      this.#closed = true;
      this.#handlers?.close?.();
    });
    // 'exit' listeners run before Node's flush (a later tick).
    child.once('exit', () => this.#flow());
  }

  /** Gives `handlers` what came so far, in order, then everything after. Once per pipe. */
  read(handlers: PipeHandlers): void {
    if (this.#handlers !== undefined) throw new Error('mcp-leash: a child pipe was read twice (a bug in the shell)');
    this.#handlers = handlers;
    const held = this.#held;
    this.#held = [];
    for (const chunk of held) handlers.data(chunk);
    this.#flow();
    if (this.#ended) handlers.end?.();
    if (this.#closed) handlers.close?.();
  }

  #flow(): void {
    if (this.#flowing) return;
    this.#flowing = true;
    this.stream.on('data', (chunk: Buffer) => {
      if (this.#handlers === undefined) this.#held.push(chunk);
      else this.#handlers.data(chunk);
    });
  }
}
