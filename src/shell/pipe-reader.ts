// A child's output pipe, read from the moment the child is spawned.
//
// Node resumes a child's stdout and stderr when the child exits (child_process's flushStdio):
// what the child wrote before anybody listened is then read and dropped, and the pipe's 'close'
// comes and goes unseen. The proxy listens only after its own start-up (the server is started
// before mcp-leash has loaded, src/early-start.ts), and a server that fails fast exits in that
// window: its last words, which say why it died, were lost, and the proxy waited its full bound
// for a 'close' that had already passed. So each pipe is listened to at spawn, keeps what comes
// until the proxy takes it over, and then hands that on first.

import type { Readable } from 'node:stream';

export interface PipeHandlers {
  data(chunk: Buffer): void;
  end?(): void;
  close?(): void;
}

export class PipeReader {
  #held: Buffer[] = [];
  #handlers: PipeHandlers | undefined;
  #ended = false;
  #closed = false;

  /** `stream` is listened to at once; pausing it (backpressure) works as on the stream itself. */
  constructor(readonly stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      if (this.#handlers === undefined) this.#held.push(chunk);
      else this.#handlers.data(chunk);
    });
    stream.once('end', () => {
      this.#ended = true;
      this.#handlers?.end?.();
    });
    stream.once('close', () => {
      this.#closed = true;
      this.#handlers?.close?.();
    });
  }

  /** Gives `handlers` what came so far, in order, then everything after. Once per pipe. */
  read(handlers: PipeHandlers): void {
    if (this.#handlers !== undefined) throw new Error('mcp-leash: a child pipe was read twice (a bug in the shell)');
    this.#handlers = handlers;
    const held = this.#held;
    this.#held = [];
    for (const chunk of held) handlers.data(chunk);
    if (this.#ended) handlers.end?.();
    if (this.#closed) handlers.close?.();
  }
}
