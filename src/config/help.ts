// --help: usage, every option (from the same table the parser uses) with its default, and the
// config file's keys in brief, from the key table (./keys.ts), defaults included, so the text
// cannot lie.

import { CONFIG_KEYS, RULE_KEYS, defaultOf, type KeyRow, type Row } from './keys.js';
import { OPTIONS } from './options.js';

const WIDTH = 100;
const KEY_COLUMN = 20;

function optionLines(): string[] {
  const left = OPTIONS.map((o) => `${o.names.join(', ')}${o.value !== undefined ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return OPTIONS.map((o, n) => `  ${left[n]!.padEnd(width)}${o.help}${o.default !== undefined ? ` [default: ${o.default}]` : ''}`);
}

/** `text` in lines of at most WIDTH characters, the first after `first`, the rest indented to the key column. */
function wrap(first: string, text: string): string[] {
  const lines: string[] = [];
  let line = first.padEnd(KEY_COLUMN);
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(KEY_COLUMN);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** "{a, b: x | y}": an object's keys, with the values of those that take a fixed set. */
function keyList(rows: readonly KeyRow[]): string {
  return `{${rows.map((r) => (r.kind.type === 'enum' ? `${r.name}: ${r.kind.values.join(' | ')}` : r.name)).join(', ')}}`;
}

function keyLines(row: Row): string[] {
  if (row.type === 'rules') return wrap(`  ${row.name}`, `[${keyList(RULE_KEYS)}] ${row.help}`);
  if (row.type === 'group') {
    const defaults = row.keys.map((k) => `${k.name} ${defaultOf(k) ?? 'none'}`).join(', ');
    return wrap(`  ${row.name}`, `${keyList(row.keys)}: ${row.help} [default: ${defaults}]`);
  }
  if (row.help === undefined) return [];
  const values = row.kind.type === 'enum' ? `${row.kind.values.join(' | ')}: ` : '';
  const fallback = defaultOf(row);
  return wrap(`  ${row.name}`, `${values}${row.help}${fallback !== undefined ? ` [default: ${fallback}]` : ''}`);
}

export const HELP_TEXT = `mcp-leash: a stdio MCP proxy with timeouts, cancellation, heartbeats and a well-kept child.

Usage:
  mcp-leash [options] [--] <command> [args...]

  Use it in an MCP client's config in place of the server command, e.g.
    "command": "npx", "args": ["-y", "mcp-leash", "--config", "/abs/leash.json", "--", "python", "server.py"]
  The first argument that is not an mcp-leash option starts the server command; everything after
  it goes to the server untouched. "--" is optional, and needed only if the command starts with "-".

Options:
${optionLines().join('\n')}

Reports:
  mcp-leash report TRACE [--html OUT]
                           a table per method and tool (calls, latency, timeouts, cancellations,
                           errors, heartbeats) from a --trace file; --html writes a self-contained
                           page with a timeline. Run a server named "report" as: mcp-leash -- report

Durations: 250ms, 30s, 5m, 1h, 1h30m (a unit is required); 0 or off disables.
Precedence: flags override the config file; the config file overrides the defaults.

Config file: JSON, every key optional, an unknown key is an error; relative --config paths are
resolved against the working directory, which MCP hosts often set to "/", so prefer an absolute
one. JSON Schema for editors: schema/leash.schema.json in the package. Keys:
${CONFIG_KEYS.flatMap(keyLines).join('\n')}

Exit status: the server's; 2 for a usage or config error; 127 if the command cannot start.
`;
