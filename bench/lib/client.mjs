// A raw benchmark client: writes JSON-RPC lines to a subject's stdin and splits its stdout into
// lines with Buffer.indexOf, so that the client is never the bottleneck. Small lines are parsed;
// lines over BIG_LINE bytes are only counted (their head is kept to check the id).

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const BIG_LINE = 1 << 20;
const HEAD = 256;

export const hrnow = () => process.hrtime.bigint();
export const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Reads VmHWM / VmRSS of a process, in bytes (undefined once it is gone). */
export function procMem(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

/**
 * CPU time of a process, all its threads, in ns: the sum of the first field of
 * /proc/PID/task/TID/schedstat (time on CPU, ns, kept by the scheduler; finer than /proc/PID/stat's
 * clock ticks). A thread that exits between two readings takes its time with it; undefined when
 * the process is gone or this is not Linux.
 */
export function procCpuNs(pid) {
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between readdir and read
    }
  }
  return ns;
}

/** Child pids of a process (all its threads' children), from /proc/PID/task/TID/children. */
function childPids(pid) {
  const out = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
      } catch {
        // thread gone
      }
    }
  } catch {
    // process gone
  }
  return out;
}

const isServer = (pid) => {
  try {
    // Its script, not an argument: every proxy's command line names the server too.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1]?.endsWith('bench/fast-server.mjs') ?? false;
  } catch {
    return false;
  }
};

/**
 * The subject's own process under `root` (the pid the client spawned): the parent of the bench's
 * server. A subject started through a wrapper (a shell, npx, bench/tierup.mjs) is then the real
 * proxy, not the wrapper; `taskset` execs, so it keeps the pid. `root` itself when it is the server
 * (the direct subject) or when no server is found under it (not Linux, or not spawned yet).
 */
export function subjectPid(root) {
  if (isServer(root)) return root;
  const queue = [root];
  for (let seen = 0; queue.length && seen < 64; seen++) {
    const pid = queue.shift();
    const kids = childPids(pid);
    if (kids.some(isServer)) return pid;
    queue.push(...kids);
  }
  return root;
}

export class RawClient {
  /** @param {string[]} argv */
  constructor(argv, { env } = {}) {
    this.spawnedAt = hrnow();
    this.proc = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    this.pid = this.proc.pid;
    this.nextId = 1;
    /** id -> callback(msg | {bigLine}) */
    this.pending = new Map();
    /** Called for every message that is not a response we wait for. */
    this.onOther = undefined;
    this.stderrTail = '';
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.closed = false;
    this.#parts = [];
    this.#size = 0;
    this.proc.stdout.on('data', (chunk) => this.#push(chunk));
    this.proc.stdout.once('end', () => this.#failAll(new Error(`subject closed its stdout${this.#tail()}`)));
    this.proc.stderr.on('data', (chunk) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    this.proc.stdin.on('error', () => undefined);
    this.proc.once('error', (err) => this.#failAll(err));
  }

  #parts;
  #size;
  #big = false;

  #tail() {
    const t = this.stderrTail.trim().split("\n").slice(-12).join(" | ");
    return t ? `; stderr: ${t}` : '';
  }

  #failAll(err) {
    this.closed = true;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const cb of waiting) cb(undefined, err);
    this.onClosed?.(err);
  }

  #push(chunk) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        if (start < chunk.length) this.#hold(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.#size === 0) {
        this.#line(piece, piece.length);
        continue;
      }
      const size = this.#size + piece.length;
      if (this.#big) this.#line(this.#parts[0], size);
      else if (size >= BIG_LINE) this.#line(Buffer.concat(this.#parts).subarray(0, HEAD), size);
      else this.#line(Buffer.concat([...this.#parts, piece]), size);
      this.#parts = [];
      this.#size = 0;
      this.#big = false;
    }
  }

  /** Part of a line whose newline has not come yet. Past BIG_LINE only its head is kept. */
  #hold(rest) {
    this.#size += rest.length;
    if (this.#big) return;
    this.#parts.push(rest);
    if (this.#size >= BIG_LINE) {
      this.#parts = [Buffer.from(Buffer.concat(this.#parts).subarray(0, HEAD))];
      this.#big = true;
    }
  }

  #line(bytes, size) {
    let msg;
    if (size >= BIG_LINE) {
      const head = bytes.toString('latin1', 0, Math.min(HEAD, bytes.length));
      const id = /"id"\s*:\s*(-?\d+)/.exec(head)?.[1];
      msg = { bigLine: true, bytes: size, head, id: id === undefined ? undefined : Number(id) };
    } else {
      msg = JSON.parse(bytes.toString('utf8'));
    }
    const cb = msg.id !== undefined && msg.method === undefined ? this.pending.get(msg.id) : undefined;
    if (cb) {
      this.pending.delete(msg.id);
      cb(msg);
    } else {
      this.onOther?.(msg);
    }
  }

  write(text) {
    this.proc.stdin.write(text);
  }

  /** Sends a request; `cb(msg, err)` gets the answer. Returns the id. */
  requestCb(method, params, cb) {
    const id = this.nextId++;
    this.pending.set(id, cb);
    this.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    return id;
  }

  request(method, params, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error(`subject is closed${this.#tail()}`));
      let timer;
      const id = this.requestCb(method, params, (msg, err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(msg);
      });
      timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms${this.#tail()}`));
      }, timeoutMs);
    });
  }

  notify(method, params) {
    this.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n');
  }

  async initialize() {
    const res = await this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'bench-client', version: '1.0.0' },
    });
    if (!res.result) throw new Error(`initialize failed: ${JSON.stringify(res)}`);
    this.notify('notifications/initialized', {});
    return res;
  }

  /** The subject's own pid (see subjectPid), looked up once the server is running. */
  ownPid() {
    this.#own ??= subjectPid(this.pid);
    return this.#own;
  }

  #own;

  mem() {
    return procMem(this.ownPid());
  }

  /** CPU time of the subject's own process, all threads, in ns. */
  cpuNs() {
    return procCpuNs(this.ownPid());
  }

  /** Closes the subject's stdin and waits for it to exit (SIGKILL after `graceMs`). */
  async close(graceMs = 5000) {
    this.closed = true;
    this.onClosed = undefined;
    this.proc.stdin.end();
    const t = setTimeout(() => {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        // gone
      }
    }, graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** A tools/call line for `echo`, with a progress token as hosts that show progress send it. */
export function echoLine(id, value = 'hello, bench') {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"value":${JSON.stringify(value)}},"_meta":{"progressToken":${id}}}}\n`;
}

export function holdLine(id) {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"hold","arguments":{},"_meta":{"progressToken":${id}}}}\n`;
}
