// Start mcp-leash (or a fixture alone) as a real process and talk to it.
//
// Two flavours:
// - `startSdkProxy`: the MCP TypeScript SDK `Client` over `StdioClientTransport`, as a real host
//   would run it.
// - `startRawProxy` / `startRawFixture` / `spawnLineClient`: a raw newline-delimited client for
//   the cases no well-behaved SDK would produce (odd IDs, garbage lines, batches), that also keeps
//   every stdout line so a test can assert that nothing but JSON-RPC ever came out.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { groupAlive, isAlive, pgidOf, tmpDir, within } from './procs.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The proxy under test; LEASH_E2E_BIN points the e2e suite at another build (or a straw man). */
export const BIN = process.env.LEASH_E2E_BIN ? resolve(process.env.LEASH_E2E_BIN) : join(ROOT, 'bin/mcp-leash.js');
export const FIXTURE = join(ROOT, 'test/fixtures/legacy-server.mjs');
export const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const NODE = process.execPath;

/** The child command line for the legacy fixture with these flags. */
export function fixtureCommand(fixtureArgs: string[] = []): string[] {
  return [NODE, FIXTURE, ...fixtureArgs];
}

export interface StartOptions {
  /** mcp-leash's own options, before `--`. */
  leashArgs?: string[];
  /** Flags for the legacy fixture (ignored when `child` is given). */
  fixtureArgs?: string[];
  /** The whole child command line; default: the legacy fixture with `fixtureArgs`. */
  child?: string[];
  /** Leave out the `--` between mcp-leash's options and the child command. */
  noDoubleDash?: boolean;
  /** Extra environment for the proxy (merged over process.env). */
  env?: Record<string, string>;
  cwd?: string;
}

function proxyArgv(o: StartOptions): string[] {
  const child = o.child ?? fixtureCommand(o.fixtureArgs);
  return [BIN, ...(o.leashArgs ?? []), ...(o.noDoubleDash ? [] : ['--']), ...child];
}

// Everything started here, so that `cleanupProcesses()` can stop what a failed test left behind.
const started = new Set<number>();
const groups = new Set<number>();

/** Remember a process (e.g. the fixture or its grandchild) to SIGKILL at clean-up. */
export function trackPid(pid: number): void {
  started.add(pid);
}

/** Remember a process group to kill at clean-up (e.g. the fixture's, read from its log). */
export function trackGroup(pgid: number): void {
  // Never our own group (a proxy that does not give the child a group of its own would put the
  // child in ours): killing it would kill the test runner.
  if (pgid === pgidOf(process.pid) || pgid === pgidOf(process.ppid)) return;
  groups.add(pgid);
}

/** SIGKILLs every proxy and tracked group still alive; call from afterEach. */
export function cleanupProcesses(): void {
  for (const pid of started) {
    if (isAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  const own = new Set([pgidOf(process.pid), pgidOf(process.ppid)]);
  for (const pgid of groups) {
    if (!own.has(pgid) && groupAlive(pgid)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {}
    }
  }
  started.clear();
  groups.clear();
}

// ---------------------------------------------------------------- SDK flavour

export interface SdkProxy {
  client: Client;
  transport: StdioClientTransport;
  /** pid of the mcp-leash process. */
  pid: number;
  /** Everything mcp-leash wrote to stderr so far. */
  stderr(): string;
  /** Resolves when the transport reports the process closed. */
  closed: Promise<void>;
  /** client.close(): ends stdin, then SIGTERM/SIGKILL after 2 s each (SDK behaviour). */
  close(): Promise<void>;
}

export async function startSdkProxy(
  o: StartOptions & { capabilities?: ClientCapabilities; clientName?: string } = {},
): Promise<SdkProxy> {
  const [command, ...args] = [NODE, ...proxyArgv(o)];
  const transport = new StdioClientTransport({
    command: command!,
    args,
    env: { ...(process.env as Record<string, string>), ...(o.env ?? {}) },
    cwd: o.cwd ?? ROOT,
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const client = new Client(
    { name: o.clientName ?? 'mcp-leash-e2e', version: '0.0.0' },
    { capabilities: o.capabilities ?? {} },
  );
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  client.onclose = () => onClosed();
  try {
    await client.connect(transport);
  } catch (e) {
    const pid = transport.pid;
    if (pid) started.add(pid);
    throw new Error(`connect failed: ${(e as Error).message}\nproxy stderr:\n${err}`);
  }
  const pid = transport.pid!;
  started.add(pid);
  return { client, transport, pid, stderr: () => err, closed, close: () => client.close() };
}

// ---------------------------------------------------------------- raw line flavour

export type Json = any;
export type Predicate = (msg: Json, line: string) => boolean;

export interface LineClient {
  proc: ChildProcess;
  pid: number;
  /** Every complete stdout line so far (without the newline). */
  lines: string[];
  /** The stdout lines parsed (undefined where a line is not JSON). */
  messages(): Json[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Writes an object as one JSON line, or a string as is (a newline is added if missing). */
  send(msg: Json | string): void;
  /** Writes exactly these bytes. */
  write(raw: string | Buffer): void;
  /**
   * Resolves with the first stdout message matching `pred` that an earlier `next` did not
   * already return (lines that arrived before the call count), or rejects after timeoutMs.
   */
  next(pred: Predicate, timeoutMs?: number, what?: string): Promise<Json>;
  /** Sends a request and resolves with its response (matched by id, exact type and value). */
  request(method: string, params?: Json, id?: Json): Promise<Json>;
  /** initialize + notifications/initialized; resolves with the initialize response. */
  initialize(protocolVersion?: string, capabilities?: Json): Promise<Json>;
  /**
   * A `ping` round trip through the whole chain. Whatever the child wrote before answering it
   * has reached (or been dropped by) the proxy once this resolves.
   */
  barrier(timeoutMs?: number): Promise<void>;
  /** Ends stdin, as a client closing the session. */
  close(): void;
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Throws unless every stdout line is one valid JSON-RPC 2.0 message ending in \n. */
  assertCleanStdout(): void;
}

/** Responses (result or error) with exactly this id: 1 and "1" differ. */
export const isResponseTo =
  (id: Json): Predicate =>
  (m) =>
    m !== null && typeof m === 'object' && !Array.isArray(m) && 'id' in m && m.id === id && ('result' in m || 'error' in m) && !('method' in m);

/** Messages with this method. */
export const isMethod =
  (method: string): Predicate =>
  (m) =>
    m !== null && typeof m === 'object' && m.method === method;

/** Why a parsed stdout value is not a valid JSON-RPC 2.0 message, or null if it is. */
export function jsonRpcProblem(m: Json): string | null {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'not a JSON object';
  if (m.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  const hasId = 'id' in m;
  const idOk = (id: Json) => typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));
  if ('method' in m) {
    if (typeof m.method !== 'string') return 'method is not a string';
    if (hasId && !idOk(m.id)) return 'request id is not a string or integer';
    if ('result' in m || 'error' in m) return 'has both method and result/error';
    return null;
  }
  if (!hasId) return 'neither request, notification nor response';
  if ('result' in m === 'error' in m) return 'response must have exactly one of result and error';
  if ('error' in m) {
    const e = m.error;
    if (e === null || typeof e !== 'object' || !Number.isInteger(e.code) || typeof e.message !== 'string') {
      return 'error is not {code: integer, message: string}';
    }
    if (m.id !== null && !idOk(m.id)) return 'response id is not a string, integer or null';
    return null;
  }
  if (!idOk(m.id)) return 'response id is not a string or integer';
  return null;
}

/** Spawns any command with piped stdio and wraps it as a LineClient. */
export function spawnLineClient(
  command: string,
  args: string[],
  o: { env?: Record<string, string>; cwd?: string } = {},
): LineClient {
  const proc = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...(o.env ?? {}) },
    cwd: o.cwd ?? ROOT,
  });
  if (proc.pid === undefined) throw new Error(`could not spawn ${command}`);
  started.add(proc.pid);
  const lines: string[] = [];
  const parsed: Json[] = [];
  let partial = '';
  let err = '';
  const claimed = new Set<number>();
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };

  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      let m: Json;
      try {
        m = JSON.parse(line);
      } catch {
        m = undefined;
      }
      parsed.push(m);
    }
    wake();
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (c: string) => {
    err += c;
  });
  proc.stdin!.on('error', () => {}); // EPIPE after the proxy died is the test's business, not a crash
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    proc.on('close', (code, signal) => {
      exitInfo = { code, signal };
      wake();
      res(exitInfo);
    });
  });

  const describe = () =>
    `\n--- stdout lines so far (${lines.length}):\n${lines.slice(-20).join('\n')}\n--- stderr:\n${err.slice(-3000)}` +
    (exitInfo ? `\n--- process exited: code ${exitInfo.code}, signal ${exitInfo.signal}` : '');

  const next = (pred: Predicate, timeoutMs = 10_000, what = 'a matching stdout message') =>
    new Promise<Json>((resolveNext, reject) => {
      const check = () => {
        for (let i = 0; i < lines.length; i++) {
          if (claimed.has(i)) continue;
          let ok = false;
          try {
            ok = parsed[i] !== undefined && pred(parsed[i], lines[i]!);
          } catch {
            ok = false;
          }
          if (ok) {
            claimed.add(i);
            finish();
            resolveNext(parsed[i]);
            return true;
          }
        }
        if (exitInfo) {
          finish();
          reject(new Error(`process exited before ${what}${describe()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}${describe()}`));
      }, timeoutMs);
      const waiter = () => {
        check();
      };
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      if (!check()) waiters.add(waiter);
    });

  let autoId = 1000;
  let barrierSeq = 0;
  const client: LineClient = {
    proc,
    pid: proc.pid,
    lines,
    messages: () => [...parsed],
    stderr: () => err,
    send(msg) {
      if (typeof msg === 'string') proc.stdin!.write(msg.endsWith('\n') ? msg : msg + '\n');
      else proc.stdin!.write(JSON.stringify(msg) + '\n');
    },
    write(raw) {
      proc.stdin!.write(raw);
    },
    next,
    request(method, params, id) {
      const rid = id === undefined ? autoId++ : id;
      const msg: Json = { jsonrpc: '2.0', id: rid, method };
      if (params !== undefined) msg.params = params;
      client.send(msg);
      return next(isResponseTo(rid), 10_000, `response to ${method} id ${JSON.stringify(rid)}`);
    },
    async initialize(protocolVersion = '2025-06-18', capabilities = {}) {
      const res = await client.request(
        'initialize',
        { protocolVersion, capabilities, clientInfo: { name: 'raw-e2e', version: '0.0.0' } },
        `init-${autoId++}`,
      );
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      return res;
    },
    async barrier(timeoutMs = 10_000) {
      const id = `barrier-${++barrierSeq}`;
      client.send({ jsonrpc: '2.0', id, method: 'ping' });
      await next(isResponseTo(id), timeoutMs, `barrier ping ${id}`);
    },
    close() {
      proc.stdin!.end();
    },
    kill(signal = 'SIGTERM') {
      proc.kill(signal);
    },
    exited,
    assertCleanStdout() {
      const bad: string[] = [];
      lines.forEach((line, i) => {
        const m = parsed[i];
        const problem = m === undefined ? 'not JSON' : jsonRpcProblem(m);
        if (problem) bad.push(`line ${i + 1}: ${problem}: ${line.slice(0, 200)}`);
      });
      if (exitInfo && partial !== '') bad.push(`unterminated last line: ${partial.slice(0, 200)}`);
      if (bad.length) throw new Error(`stdout carried non-JSON-RPC output:\n${bad.join('\n')}`);
    },
  };
  return client;
}

/** mcp-leash in front of a child (the legacy fixture by default), as a raw line client. */
export function startRawProxy(o: StartOptions = {}): LineClient {
  return spawnLineClient(NODE, proxyArgv(o), { env: o.env, cwd: o.cwd });
}

/** The legacy fixture alone, no proxy: to check the fixture itself. */
export function startRawFixture(fixtureArgs: string[] = [], o: { env?: Record<string, string>; cwd?: string } = {}): LineClient {
  return spawnLineClient(NODE, [FIXTURE, ...fixtureArgs], o);
}

// ── messages and files the e2e tests build ────────────────────────────────────────────────

/** A tools/call request; with a progress token when one is given. */
export const toolCall = (id: unknown, name: string, args: Record<string, unknown> = {}, progressToken?: unknown) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(progressToken !== undefined ? { _meta: { progressToken } } : {}) },
});

/** Writes a config file (an object as JSON, a string as is) in a fresh directory; returns its path. */
export function configFile(content: unknown, name = 'leash.json'): string {
  const file = join(tmpDir(), name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

/** The progress notifications the client got for `token`, in arrival order. */
export const progressFor = (c: LineClient, token: unknown): Json[] =>
  c.messages().filter((m) => m?.method === 'notifications/progress' && m.params?.progressToken === token);

/** Index of the response to `id` among the client's stdout lines. */
export const responseIndex = (c: LineClient, id: unknown): number => c.messages().findIndex((m) => isResponseTo(id)(m, ''));

/** Closes the client's end, waits for the proxy to exit and checks its stdout held only JSON-RPC. */
export async function finish(c: LineClient): Promise<void> {
  c.close();
  await within(c.exited, 15_000, 'the proxy to exit');
  c.assertCleanStdout();
}
