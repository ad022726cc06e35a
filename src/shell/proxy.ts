// The shell: owns the two stdio links, the child process and the real clock, and nothing else.
// Bytes flow one way: stream chunks -> LineSplitter -> decodeLine -> Session.handle* ->
// Session.poll() -> encoded lines, batched per destination into one write.

import type { Readable, Writable } from 'node:stream';
import { Session, type Frame } from '../core/session.js';
import type { Output } from '../core/outputs.js';
import type { Policy } from '../policy/types.js';
import type { Logger } from '../log.js';
import { LineSplitter } from '../wire/line-splitter.js';
import { decodeLine, encode, oversizeFrame } from '../wire/decode.js';
import { spawnChild, SpawnError, type Child } from './child.js';
import { reapGroup, stopChild } from './shutdown.js';
import { StderrTail } from './stderr-tail.js';
import { Alarm, now } from './clock.js';
import { constants as osConstants } from 'node:os';

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
}

export interface Tap {
  received(from: 'client' | 'child', frame: Frame, bytes: number): void;
  sent(to: 'client' | 'child', out: Extract<Output, { type: 'send' }>): void;
}

type ShutdownCause = 'client-eof' | NodeJS.Signals;

const EXIT_WAIT_FOR_STDOUT_MS = 1000;

export async function runProxy(opts: ProxyOptions): Promise<number> {
  const { policy, logger } = opts;
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;

  let child: Child;
  try {
    child = await spawnChild(opts.command, opts.args);
  } catch (e) {
    if (e instanceof SpawnError) {
      stderr.write(`${e.message}\n`);
      logger.error({ command: opts.command, code: e.code }, 'cannot start the server command');
      return 127;
    }
    throw e;
  }
  logger.info({ command: opts.command, childPid: child.pid }, 'child started');

  const session = new Session(policy);
  const tail = new StderrTail();
  const alarm = new Alarm(() => {
    session.handleTimeout(now());
    drain();
  });
  let finishing: Promise<number> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  // ── writing ────────────────────────────────────────────────────────────────────────────
  let clientGone = false;
  const toClient: string[] = [];
  const toChild: string[] = [];

  function drain(): void {
    for (const o of session.poll()) {
      if (o.type === 'send') {
        opts.tap?.sent(o.to, o);
        (o.to === 'client' ? toClient : toChild).push(encode(o.msg));
      } else if (o.type === 'log') {
        logger[o.level](o.fields ?? {}, o.msg);
      } else {
        void finish(o.code, o.reason);
      }
    }
    if (toClient.length) {
      const text = toClient.length === 1 ? toClient[0]! : toClient.join('');
      toClient.length = 0;
      if (!clientGone && !stdout.write(text)) {
        child.stdout.pause();
        stdout.once('drain', () => child.stdout.resume());
      }
    }
    if (toChild.length) {
      const text = toChild.length === 1 ? toChild[0]! : toChild.join('');
      toChild.length = 0;
      if (!child.hasExited() && child.stdin.writable && !child.stdin.write(text)) {
        stdin.pause();
        child.stdin.once('drain', () => stdin.resume());
      }
    }
    alarm.set(session.nextDeadline());
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────
  function reader(from: 'client' | 'child'): LineSplitter {
    const handle = (frame: Frame, bytes: number) => {
      opts.tap?.received(from, frame, bytes);
      if (from === 'client') session.handleClient(frame, now());
      else session.handleChild(frame, now());
    };
    return new LineSplitter(policy.maxMessageBytes, {
      line(bytes) {
        const frame = decodeLine(bytes);
        if (frame) handle(frame, bytes.length);
      },
      oversize(bytes) {
        handle(oversizeFrame(bytes, policy.maxMessageBytes), bytes);
      },
    });
  }

  const fromClient = reader('client');
  const fromChild = reader('child');

  child.stdout.on('data', (chunk: Buffer) => {
    fromChild.push(chunk);
    drain();
  });
  const childStdoutEnded = new Promise<void>((r) => child.stdout.once('close', () => r()));
  child.stdout.once('end', () => {
    fromChild.end();
    drain();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    tail.push(chunk);
    stderr.write(chunk);
  });
  child.stdin.on('error', (err) => logger.debug({ err: err.message }, 'writing to the child failed (it is probably exiting)'));
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    clientGone = true;
    logger.info({ err: err.code }, 'client stdout closed');
    void shutdown('client-eof');
  });

  stdin.on('data', (chunk: Buffer) => {
    fromClient.push(chunk);
    drain();
  });
  stdin.once('end', () => {
    fromClient.end();
    drain();
    logger.info('client closed stdin; stopping the server');
    void shutdown('client-eof');
  });

  // ── the child's end ────────────────────────────────────────────────────────────────────
  let shuttingDown: ShutdownCause | undefined;
  void child.exited.then(async (info) => {
    // Output written just before exit may still be in the pipe: read it before failing requests.
    await Promise.race([childStdoutEnded, new Promise((r) => setTimeout(r, EXIT_WAIT_FOR_STDOUT_MS))]);
    if (shuttingDown) return; // an exit we asked for; shutdown() decides the code
    const signalNumber = info.signal ? (osConstants.signals[info.signal] ?? 0) : undefined;
    session.handleChildExit({ code: info.code, signal: info.signal, signalNumber, stderrTail: tail.lines() }, now());
    drain();
  });

  async function finish(code: number, reason: string): Promise<number> {
    if (finishing) return finishing;
    finishing = (async () => {
      alarm.clear();
      if (child.hasExited()) await reapGroup(child, policy.shutdown.termGraceMs);
      else {
        logger.warn({ reason }, 'stopping the server');
        await stopChild(child, policy.shutdown);
      }
      resolveDone(code);
      return code;
    })();
    return finishing;
  }

  async function shutdown(cause: ShutdownCause): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = cause;
    if (finishing) return;
    const { by, exit } = await stopChild(child, policy.shutdown);
    alarm.clear();
    logger.info({ cause, stoppedBy: by, exitCode: exit.code, signal: exit.signal }, 'server stopped');
    const ourSignal = cause === 'client-eof' ? 0 : 128 + (osConstants.signals[cause] ?? 0);
    let code: number;
    if (by === 'itself') code = exit.code ?? 128 + (exit.signal ? (osConstants.signals[exit.signal] ?? 0) : 0);
    else code = ourSignal;
    resolveDone(code);
  }

  const onSignal = (sig: NodeJS.Signals) => {
    logger.info({ signal: sig }, 'signal received; stopping the server');
    void shutdown(sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);

  const code = await done;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
  stdin.pause();
  return code;
}
