// The shell: owns the two stdio links, the child process and the real clock, and nothing else.
// Bytes flow one way: stream chunks -> the codec's Decoder -> Session.handle* -> Session.poll()
// -> the codec's encode() (wiring.ts) -> encoded lines, batched per destination into one write.
// Policy (what to answer, when to restart) is the core's; this file only carries it out.
// (About 370 lines: one closure over the process's streams, timers and child, so that the hot
// path reaches them without indirection; reading, writing and the end are sections of it.)

import type { Readable, Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { Tap } from '../trace/tap.js';
import { Session } from '../core/session.js';
import type { Frame } from '../core/frame.js';
import type { Output } from '../core/outputs.js';
import type { Policy } from '../policy/types.js';
import type { Logger } from '../log.js';
import { messageOf, type MessageOutput } from '../wire/codec.js';
import { drainOutputs, sideDecoder } from './wiring.js';
import { spawnChild, SpawnError, type Child } from './child.js';
import { reapGroup } from './shutdown.js';
import { StderrTail } from './stderr-tail.js';
import { Alarm, now } from './clock.js';
import { signalNumber, STOP_SIGNALS } from './signals.js';
import { Valve } from './valve.js';
import { SpillFolder } from './spill.js';
import { ClientGaps } from './client-gaps.js';
import { protocolOut } from '../stdout.js';

export interface ProxyOptions {
  command: string;
  args: string[];
  policy: Policy;
  logger: Logger;
  /** Called for every frame in and out, for --trace. */
  tap?: Tap;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** The first child, already being started (src/early-start.ts); spawned here when absent. */
  child?: Promise<Child>;
  /** Called once mcp-leash's own signal handlers are in place (the early start's can go). */
  onSignalsHandled?: () => void;
  /** Logs go to --log-file (not stderr): errors people read on stderr are logged there too. */
  logsToFile?: boolean;
  /** Lets tests and the soak run look at the core's tables. */
  onSession?: (session: Session) => void;
}


/** After the child exits, how long its last output (stdout and stderr) may take to arrive through the pipes. */
const EXIT_WAIT_FOR_STDOUT_MS = 1000;
/**
 * How much may wait for a child that does not read before the client is no longer read. More
 * costs memory fast: each waiting message is also held parsed (4 MiB measured +40 MB peak RSS).
 */
const CHILD_BACKLOG_BYTES = 1024 * 1024;
/**
 * Lines handled before what they produced is written, when one chunk holds many. Writing only at
 * the end of a chunk makes the peers take turns (a batch of 256 pipelined calls went through the
 * three processes one stage after the other); writing every line costs a syscall each. Measured
 * with 256 calls in flight: every 16 lines 112k calls/s, 64: 141k, 128: 146k, end of chunk: 115k.
 */
const LINES_PER_DRAIN = 64;

export async function runProxy(opts: ProxyOptions): Promise<number> {
  const { policy, logger } = opts;
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? protocolOut;
  const stderr = opts.stderr ?? process.stderr;

  // The first child is started before anything is read, so a bad command fails fast with 127.
  let child: Child | undefined;
  try {
    child = await (opts.child ?? spawnChild(opts.command, opts.args));
  } catch (e) {
    if (!(e instanceof SpawnError)) throw e;
    // One message, in words: where logs also go to stderr, a JSON line saying it again is noise.
    stderr.write(`${e.message}\n`);
    if (opts.logsToFile) logger.error({ command: opts.command, code: e.code }, 'cannot start the server command');
    return 127;
  }

  // Payload summaries (never payloads) only at debug; the check is made once, off the hot path.
  const debugFrames = logger.isLevelEnabled('debug');
  const tap = opts.tap;
  // Only a policy that may spill gets a spill folder (made on first use, src/shell/spill.ts).
  const spill = maySpill(policy) ? new SpillFolder(policy.spill) : undefined;
  const session = new Session(policy, {
    ...(spill !== undefined && { spill: spill.place }),
    epochOffsetMs: performance.timeOrigin,
    // Events cost an object each: only a tap reads them.
    events: tap !== undefined,
    taskIdPrefix: `leash-${randomBytes(4).toString('hex')}-`,
    // 144 random bits per input_required result: a requestState no client can guess or derive.
    stateToken: () => randomBytes(18).toString('base64url'),
  });
  opts.onSession?.(session);
  const alarm = new Alarm(() => at((t) => session.handleTimeout(t)));
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  /** Set once the core gave its 'exit': nothing is read or written any more. */
  let exiting = false;
  let clientGone = false;
  let reaping: Promise<void> = Promise.resolve();
  /** The last child, kept after its exit so that its group's stragglers can be reaped. */
  let lastChild: Child = undefined as unknown as Child; // set below, before anything runs

  // ── writing ────────────────────────────────────────────────────────────────────────────
  // Encoded messages (wire/codec.ts: a forwarded one from the bytes it came in where it can be,
  // a long line as a run of Buffer views of them; others stringified) wait here until the end of
  // drain(), then go out as one write per side.
  const toClient: (string | Buffer)[] = [];
  const toChild: (string | Buffer)[] = [];
  // Log lines wait until the messages are written: a log line is never in a message's way.
  const logs: Extract<Output, { type: 'log' }>[] = [];
  const toClientValve = new Valve();
  const toChildValve = new Valve();
  // What the core asked to keep apart from what came before ('client-gap') waits here.
  const gaps = new ClientGaps(writeToClient);

  let linesSinceDrain = 0;
  // A message that cannot be encoded goes back to the core after the batch it was in
  // (wiring.ts), stamped like the chunk being read, so time never steps back within a chunk.
  const hooks = { write, other: perform, now: () => readingAt ?? now(), spill: spillOne };

  /** A result over its budget, to a file (the core has worded the answers for both outcomes). */
  function spillOne(o: Extract<Output, { type: 'spill' }>): boolean {
    const why = spill === undefined ? 'no spill folder' : spill.write(o.path, o.frame);
    if (why !== undefined) logger.warn({ path: o.path, err: why, call: o.call }, 'could not write a spilled result; the client is told the result was too large');
    return why === undefined;
  }
  function drain(): void {
    linesSinceDrain = 0;
    drainOutputs(session, hooks);
    flush();
    if (!exiting) alarm.set(session.nextDeadline());
    if (logs.length) {
      for (const o of logs) logger[o.level](o.fields ?? {}, o.msg);
      logs.length = 0;
    }
  }

  /** One encoded message, queued for its side. */
  function write(o: MessageOutput, encoded: string | Buffer[]): void {
    const queue = o.to === 'client' ? toClient : toChild;
    if (tap) tap.sent(o, typeof encoded === 'string' ? Buffer.byteLength(encoded) - 1 : encodedBytes(encoded), readingAt ?? now());
    if (debugFrames) {
      const msg = messageOf(o);
      logger.debug({ to: o.to, method: msg.method, id: msg.id as string | number | undefined, call: o.call }, 'frame sent');
    }
    if (typeof encoded === 'string') queue.push(encoded);
    else for (const b of encoded) queue.push(b);
  }

  /** Every output but messages (wiring.ts encodes those and calls write()). */
  function perform(o: Output): void {
    switch (o.type) {
      case 'client-gap':
        flush(); // what came before goes out now, in a write of its own
        gaps.gap(o.ms);
        break;
      case 'log':
        logs.push(o);
        break;
      case 'event':
        tap?.event(o.event);
        break;
      case 'spawn':
        void respawn();
        break;
      case 'close-child-stdin':
        flush(); // what the core sent the child before closing goes first
        child?.stdin.end();
        break;
      case 'signal-child': {
        const c = child;
        if (c && !c.hasExited()) {
          logger.warn({ signal: o.signal, childPid: c.pid }, 'signalling the server');
          c.signalGroup(o.signal);
        }
        break;
      }
      case 'exit':
        void exit(o.code, o.reason, o.graceMs);
        break;
    }
  }

  function flush(): void {
    if (toClient.length) {
      if (gaps.holding) gaps.hold(toClient);
      else writeToClient(toClient);
    }
    toClient.length = 0;
    if (toChild.length) {
      const c = child;
      const ok = c && !c.hasExited() && c.stdin.writable ? writeQueued(c.stdin, toChild) : true;
      toChild.length = 0;
      // A slow child slows the client down: stop reading the client until the child catches up.
      // A small backlog is kept first, so that a client closing its end while the child is stuck
      // is still seen (a paused stdin cannot see EOF) unless it had sent more than the backlog.
      if (c && !ok && c.stdin.writableLength >= CHILD_BACKLOG_BYTES) toChildValve.hold(stdin, c.stdin);
    }
  }

  function writeToClient(items: (string | Buffer)[]): void {
    // A slow client slows the child down: stop reading the child until the client catches up.
    if (!clientGone && !writeQueued(stdout, items) && child) toClientValve.hold(child.stdout.stream, stdout);
  }

  /**
   * Writes what is queued for one side: strings joined into one write; when Buffers are among
   * them (a long line), one corked run so the stream hands them to the OS together, uncopied.
   * Returns the last write()'s answer (false: wait for 'drain').
   */
  function writeQueued(stream: Writable, queue: (string | Buffer)[]): boolean {
    if (queue.length === 1) return stream.write(queue[0]!);
    let ok = true;
    let corked = false;
    let run: string[] = [];
    for (const item of queue) {
      if (typeof item === 'string') {
        run.push(item);
        continue;
      }
      if (!corked) {
        stream.cork();
        corked = true;
      }
      if (run.length) {
        ok = stream.write(run.length === 1 ? run[0]! : run.join(''));
        run = [];
      }
      ok = stream.write(item);
    }
    if (run.length) ok = stream.write(run.length === 1 ? run[0]! : run.join(''));
    if (corked) stream.uncork();
    return ok;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────
  /**
   * While a chunk is being read, the time it arrived. Every message of the chunk is stamped with
   * it: they came together, and one clock read per chunk instead of per line is ~1.5% of a
   * pipelined call's cost. Whatever else the core hears of meanwhile (an unencodable answer, in a
   * drain() between lines) gets the same time, so time never steps back within a chunk.
   */
  let readingAt: number | undefined;

  /**
   * Runs one input to the core at one time `t`, then drains: everything it produces (outputs,
   * events, what a trace stamps) carries that time, so time never steps back in a trace.
   */
  function at(input: (t: number) => void): void {
    const t = now();
    readingAt = t;
    try {
      input(t);
      drain();
    } finally {
      readingAt = undefined;
    }
  }

  /** One side's framing: chunks in, messages to the session. */
  function reader(from: 'client' | 'child'): { push(chunk: Buffer): void; end(): void } {
    const handle = (frame: Frame, bytes: number): void => {
      const at = readingAt ?? now();
      tap?.received(from, frame, bytes, at);
      if (debugFrames) logger.debug(frameSummary(from, frame, bytes), 'frame received');
      if (from === 'client') session.handleClient(frame, at);
      else session.handleChild(frame, at);
      // Many lines in one chunk: pass some on before reading the rest, so that the other
      // side starts on them while this process is still busy (a pipeline, not a relay race).
      if (++linesSinceDrain === LINES_PER_DRAIN) drain();
    };
    const decoder = sideDecoder(from, policy.maxMessageBytes);
    return {
      // What a chunk produced is written while its time still stamps it (see at()).
      push(chunk) {
        readingAt = now();
        // Most of a long answer's chunks end no line: nothing for the session to do.
        if (decoder.push(chunk, handle)) drain();
        readingAt = undefined;
      },
      end() {
        readingAt = now();
        decoder.end(handle);
        drain();
        readingAt = undefined;
      },
    };
  }

  /** Wires one child's streams into the session. Each child gets its own framing state. */
  function attach(c: Child): void {
    const lines = reader('child');
    const tail = new StderrTail();
    const stdoutClosed = new Promise<void>((closed) => {
      c.stdout.read({
        data: (chunk) => {
          if (c === child) lines.push(chunk);
        },
        end: () => {
          if (c === child) lines.end();
        },
        close: closed,
      });
    });
    // Its last stderr lines say why it died: they belong in the exit's error and in our stderr.
    const stderrClosed = new Promise<void>((closed) => {
      c.stderr.read({
        data: (chunk) => {
          tail.push(chunk);
          stderr.write(chunk);
        },
        close: closed,
      });
    });
    c.stdin.on('error', (err) => logger.debug({ err: err.message }, 'writing to the child failed (it is probably exiting)'));
    void c.exited.then(async (info) => {
      // A dead child never drains: the client must not stay unread waiting for it.
      if (c === child) toChildValve.open();
      // Output written just before exit may still be in the pipes: read it before failing requests.
      // (Not while the ladder stops it: nobody waits for its answers, and the host waits for us.)
      if (session.childState !== 'stopping') {
        await Promise.race([Promise.all([stdoutClosed, stderrClosed]), new Promise((r) => setTimeout(r, EXIT_WAIT_FOR_STDOUT_MS))]);
      }
      if (c !== child || exiting) return;
      child = undefined;
      // Stragglers of the dead child's group go too; exit() waits for this.
      reaping = reapGroup(c, policy.shutdown.termGraceMs);
      at((t) => session.handleChildExit({ code: info.code, signal: info.signal, signalNumber: signalNumber(info.signal), stderrTail: tail.lines() }, t));
    });
  }

  async function respawn(): Promise<void> {
    try {
      const c = await spawnChild(opts.command, opts.args);
      child = c;
      lastChild = c;
      attach(c);
      logger.info({ childPid: c.pid }, 'child restarted');
      at((t) => session.handleChildStarted(t));
    } catch (e) {
      const code = e instanceof SpawnError ? e.code : 'UNKNOWN';
      logger.error({ err: e instanceof Error ? e.message : String(e) }, 'restarting the server failed');
      at((t) => session.handleChildExit({ code: 127, signal: null, stderrTail: [`cannot start the server command (${code})`] }, t));
    }
  }

  // ── the end ────────────────────────────────────────────────────────────────────────────
  /** The core gave its exit code: reap what is left of the child's group, then return it. */
  async function exit(code: number, reason: string, graceMs: number): Promise<void> {
    if (exiting) return;
    exiting = true;
    alarm.clear();
    gaps.release(); // an answer kept behind a gap must still reach the client

    logger.info({ code, reason }, 'mcp-leash exits');
    await reaping;
    await reapGroup(lastChild, graceMs);
    resolveDone(code);
  }

  lastChild = child;
  attach(child);
  logger.info({ command: opts.command, childPid: child.pid }, 'child started');
  at((t) => session.handleChildStarted(t));

  const fromClient = reader('client');
  stdin.on('data', (chunk: Buffer) => {
    fromClient.push(chunk);
  });
  let clientClosed = false;
  const closeClient = (): void => {
    if (clientClosed || exiting) return;
    clientClosed = true;
    at((t) => session.handleClientEof(t));
  };
  stdin.once('end', () => {
    fromClient.end();
    closeClient();
  });
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    clientGone = true;
    logger.info({ err: err.code }, 'client stdout closed');
    closeClient();
  });
  const onSignal = (sig: NodeJS.Signals): void => {
    if (exiting) return;
    at((t) => session.handleSignal(sig, signalNumber(sig), t));
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  opts.onSignalsHandled?.();

  const code = await done;
  for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  stdin.pause();
  return code;
}

/** Bytes of a long line written as Buffer views, without its newline. */
function encodedBytes(pieces: Buffer[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n - 1;
}

function maySpill(policy: Policy): boolean {
  return policy.defaults.onLargeResult === 'spill' || policy.rules.some((r) => r.onLargeResult === 'spill');
}

function frameSummary(from: 'client' | 'child', frame: Frame, bytes: number): Record<string, unknown> {
  if (frame.kind === 'unparsable') return { from, kind: frame.kind, problem: frame.problem, bytes };
  if (frame.kind === 'invalid') return { from, kind: frame.kind, reason: frame.reason, bytes };
  return { from, kind: frame.kind, method: 'method' in frame ? frame.method : undefined, id: 'id' in frame ? frame.id : undefined, bytes };
}
