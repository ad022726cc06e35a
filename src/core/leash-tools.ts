// The two tools mcp-leash answers itself while any rule detaches: leash_await and leash_cancel.
// They are added to the first page of every tools/list answer, and calls to them never reach
// the server (jobs.ts answers them).
//
// Names: "leash_await" and "leash_cancel", unless the server itself lists a tool of that name;
// then the first free of "<name>_2", "<name>_3", ... is used, with a warning. The names are
// settled by each first page of tools/list (what the client sees last is what it will call).
//
// This file also remembers which tools declare an outputSchema. The TS SDK client (1.x, 2.x)
// rejects a result for such a tool that has neither structuredContent nor isError: true
// ("Tool x has an output schema but did not return structured content"), and it would reject a
// structuredContent that does not match the schema too. So the job handle answered in place of
// such a tool's result is an isError result (jobs.ts), which every client accepts.

import { isObject, type JsonObject } from './message.js';
import type { Outbox } from './outbox.js';

const AWAIT = 'leash_await';
const CANCEL = 'leash_cancel';

const JOB_ARG = {
  type: 'object',
  properties: { job: { type: 'string', description: 'The job id from the earlier tool answer, e.g. "j7".' } },
  required: ['job'],
};

function awaitTool(name: string, cancelName: string): JsonObject {
  return {
    name,
    title: 'Wait for a job',
    description:
      'Waits for a job: a slow tool call that mcp-leash answered early with a job id ("still running ... as job j7"). ' +
      "Returns that tool's own result once it has finished. If the job is still running after a while, says so again with " +
      `its latest progress; call ${name} again to keep waiting, or ${cancelName} to stop it. A failed, cancelled or unknown ` +
      'job gives an error result that says why.',
    inputSchema: JOB_ARG,
  };
}

function cancelTool(name: string): JsonObject {
  return {
    name,
    title: 'Stop a job',
    description:
      'Stops a job (a slow tool call that mcp-leash answered early with a job id): the server is told to cancel the call, ' +
      'and its result is not kept. Harmless for a job that has already ended.',
    inputSchema: JOB_ARG,
  };
}

export class LeashTools {
  #out: Outbox;
  awaitName = AWAIT;
  cancelName = CANCEL;
  /** Tools the server listed with an outputSchema. */
  #withSchema = new Set<string>();

  constructor(out: Outbox) {
    this.#out = out;
  }

  /** Which of the two this tool name is, if any. */
  which(tool: string): 'await' | 'cancel' | undefined {
    return tool === this.awaitName ? 'await' : tool === this.cancelName ? 'cancel' : undefined;
  }

  hasOutputSchema(tool: string): boolean {
    return this.#withSchema.has(tool);
  }

  /** A tools/list answer from the server, with the two tools added on a first page. */
  list(msg: JsonObject, firstPage: boolean): JsonObject {
    const result = msg.result;
    if (!isObject(result) || !Array.isArray(result.tools)) return msg;
    const names = new Set<string>();
    for (const t of result.tools) {
      if (!isObject(t) || typeof t.name !== 'string') continue;
      names.add(t.name);
      if (t.outputSchema !== undefined) this.#withSchema.add(t.name);
      else this.#withSchema.delete(t.name);
    }
    if (!firstPage) {
      if (names.has(this.awaitName) || names.has(this.cancelName)) {
        this.#out.log('warn', "the server lists a tool with the name of one of mcp-leash's job tools on a later page; calls to that name go to mcp-leash", {
          awaitName: this.awaitName,
          cancelName: this.cancelName,
        });
      }
      return msg;
    }
    this.awaitName = this.#free(AWAIT, names);
    this.cancelName = this.#free(CANCEL, names);
    const tools = [...result.tools, awaitTool(this.awaitName, this.cancelName), cancelTool(this.cancelName)];
    return { ...msg, result: { ...result, tools } };
  }

  #free(base: string, taken: Set<string>): string {
    if (!taken.has(base)) return base;
    let n = 2;
    while (taken.has(`${base}_${n}`)) n++;
    const name = `${base}_${n}`;
    this.#out.log('warn', `the server has a tool named "${base}"; mcp-leash offers its own as "${name}"`, { tool: base, renamed: name });
    return name;
  }
}
