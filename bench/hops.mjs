#!/usr/bin/env node
// Where a round trip's time goes, hop by hop: the client writes a `stamp` call and notes the time;
// the server notes when it arrived (the same CLOCK_MONOTONIC: process.hrtime.bigint()), and the
// client notes when the answer is back. Out = client write -> server, back = server -> client,
// each through the subject. Run in blocks of 500 sequential calls of one fresh subject process,
// after the same warm-ups as `npm run bench` (300 sequential calls, 1,200 pipelined), so that the
// blocks show how the figure moves over a session's first thousands of calls.
// Usage: node bench/hops.mjs [subject ...]   (default: relay json-relay id-relay mcp-leash)

import { readFileSync } from 'node:fs';
import { RawClient, hrnow } from './lib/client.mjs';
import { pipelined, roundTrip, summary } from './lib/scenarios.mjs';
import { SUBJECTS } from './lib/subjects.mjs';

const BLOCKS = 16;
const PER_BLOCK = 500;
const names = process.argv.slice(2).length ? process.argv.slice(2) : ['relay', 'json-relay', 'id-relay', 'mcp-leash'];

function stampLine(id) {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"stamp","arguments":{},"_meta":{"progressToken":${id}}}}\n`;
}

/** The CPU a process last ran on (Linux), or '?'. */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[36]; // the name before it may hold ') '
  } catch {
    return '?';
  }
}

/** The subject's first child: the server (or the subject itself, for `direct`). */
function serverOf(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || pid;
  } catch {
    return pid;
  }
}

/** One `stamp` call: when it was written, the answer, and when the answer was back. */
function stamp(c) {
  return new Promise((resolve, reject) => {
    const id = c.nextId++;
    const t0 = hrnow();
    c.pending.set(id, (msg, err) => {
      if (err) return reject(err);
      resolve({ t0, msg, t1: hrnow() });
    });
    c.write(stampLine(id));
  });
}

for (const name of names) {
  const subject = SUBJECTS.find((s) => s.name === name);
  if (!subject) throw new Error(`no subject ${name}; one of ${SUBJECTS.map((s) => s.name).join(', ')}`);
  const c = new RawClient(subject.argv());
  try {
    await c.initialize();
    for (let i = 0; i < 300; i++) await roundTrip(c);
    await pipelined(c, 1200, 256);
    const cells = [];
    const placed = [];
    const server = serverOf(c.pid);
    for (let b = 0; b < BLOCKS; b++) {
      const out = [];
      const back = [];
      for (let i = 0; i < PER_BLOCK; i++) {
        const { t0, msg, t1 } = await stamp(c);
        const at = BigInt(msg.result.content[0].text);
        out.push(Number(at - t0) / 1000);
        back.push(Number(t1 - at) / 1000);
      }
      cells.push(`${summary(out).p50.toFixed(0)}/${summary(back).p50.toFixed(0)}`);
      placed.push(`${cpuOf(process.pid)}/${cpuOf(c.pid)}/${cpuOf(server)}`.padStart(cells.at(-1).length));
    }
    console.log(`${name.padEnd(11)} ${cells.join(' ')}`);
    console.log(`${'  cpus'.padEnd(11)} ${placed.join(' ')}`);
  } finally {
    await c.close();
  }
}
console.log(`(p50 µs out/back per block of ${PER_BLOCK} calls, from call 1,501 on: the bench's timed round trips are the first
 four blocks, its later row the last four. "cpus": the CPU the client, the subject and the server last ran on, after each
 block: when the subject has a CPU to itself, all four hops cross between CPUs; see bench/README.md)`);
