// The spill folder: where onLargeResult "spill" writes whole results (CONTRACT §12). The core
// decides what to spill and words both answers (src/core/result-budget.ts); it asks for the
// write with a 'spill' output, and this module does the I/O: the folder is made on first use
// (mode 0700), each file is new (mode 0600, never an existing file followed or overwritten), and
// at exit the files, and the folder when mcp-leash made it, are removed unless spill.keep.

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { wholeMessage, type MessageFrame } from '../core/frame.js';
import type { SpillPlace } from '../core/result-budget.js';
import type { Policy } from '../policy/types.js';

export class SpillFolder {
  readonly place: SpillPlace;
  readonly #keep: boolean;
  /** A folder of our own in the temp folder (made with no `recursive`, so never one that was there). */
  readonly #ownFolder: boolean;
  #made = false;
  #files: string[] = [];
  #onExit = (): void => this.cleanup();

  constructor(spill: Policy['spill']) {
    const tag = randomBytes(4).toString('hex');
    this.#ownFolder = spill.folder === '';
    const folder = this.#ownFolder ? join(tmpdir(), `mcp-leash-spill-${process.pid}-${tag}`) : spill.folder;
    // In a folder of one's own the names need no tag; in a shared one, two mcp-leash processes must not collide.
    this.place = { folder, sep, prefix: this.#ownFolder ? '' : `${process.pid}-${tag}-` };
    this.#keep = spill.keep;
  }

  /** Writes the result of `frame` (JSON) to `path`; returns why it could not, or undefined. */
  write(path: string, frame: MessageFrame): string | undefined {
    try {
      const msg = wholeMessage(frame);
      if (msg instanceof Error) return `the answer does not parse (${msg.message})`;
      if (!this.#made) {
        mkdirSync(this.place.folder, { recursive: !this.#ownFolder, mode: 0o700 });
        this.#made = true;
        if (!this.#keep) process.once('exit', this.#onExit);
      }
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(msg.result));
      } finally {
        closeSync(fd);
      }
      this.#files.push(path);
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Removes what was written (and the folder, when it was ours), unless spill.keep. Safe to call twice. */
  cleanup(): void {
    if (this.#keep || !this.#made) return;
    process.off('exit', this.#onExit);
    try {
      if (this.#ownFolder) rmSync(this.place.folder, { recursive: true, force: true });
      else for (const f of this.#files) unlinkSync(f);
    } catch {
      // at exit there is no one left to tell; a file left in a private folder is the worst case
    }
    this.#files = [];
    this.#made = false;
  }
}
