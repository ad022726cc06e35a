// The config file without zod: loading zod costs ~55 ms and ~13 MB of RSS at every start with
// --config, yet almost every file is valid. So a valid file is accepted here, walking the same
// key table as the zod schema (./keys.ts), and only a file this module doubts goes to zod
// (./schema.ts), which stays the only source of error messages.
//
// The contract is one-sided: fastParse may refuse anything (it returns undefined and zod decides),
// but what it accepts zod accepts too, with the very same output, key order included (both write
// an object's keys in table order). test/config/fast-config.test.ts checks this against zod.

import { CONFIG_KEYS, RULE_KEYS, ruleProblems, type ConfigFile, type KeyRow } from './keys.js';
import { DOUBT, type Doubt } from './kinds.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  // JSON.parse makes only these; anything else (a Date, a null prototype) is zod's business.
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

type Reader = (value: unknown) => unknown;

/** Like z.strictObject() of optional keys, in `names` order. */
function strict(names: readonly string[], readers: readonly Reader[]): Reader {
  const known = new Set(names);
  return (value) => {
    if (!isPlainObject(value)) return DOUBT;
    for (const key in value) if (!known.has(key)) return DOUBT;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const key = names[i]!;
      if (!Object.hasOwn(value, key)) {
        // zod tests keys with `in`, so it would take one from a polluted Object.prototype.
        if (key in value) return DOUBT;
        continue;
      }
      // Every kind refuses undefined, so a key present with it (not JSON anyway) is a doubt.
      const read = readers[i]!(value[key]);
      if (read === DOUBT) return DOUBT;
      out[key] = read;
    }
    return out;
  };
}

function objectOf(rows: readonly KeyRow[]): Reader {
  return strict(
    rows.map((row) => row.name),
    rows.map((row) => (value) => row.kind.read(value)),
  );
}

const ruleShape = objectOf(RULE_KEYS);

/** ruleSchema: its keys, then its refinement. */
const rule: Reader = (value) => {
  const r = ruleShape(value);
  return r === DOUBT || ruleProblems(r as Record<string, unknown>).length > 0 ? DOUBT : r;
};

const rules: Reader = (value) => {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return DOUBT;
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) {
    const r = rule(value[i]);
    if (r === DOUBT) return DOUBT;
    out.push(r);
  }
  return out;
};

const config = strict(
  CONFIG_KEYS.map((row) => row.name),
  CONFIG_KEYS.map((row) => (row.type === 'key' ? (value) => row.kind.read(value) : row.type === 'group' ? objectOf(row.keys) : rules)),
);

/**
 * What `configSchema.safeParse(json).data` would be, when this module is sure of it; otherwise
 * undefined, and the caller must ask zod (which also words the errors).
 */
export function fastParse(json: unknown): ConfigFile | undefined {
  const file: unknown | Doubt = config(json);
  return file === DOUBT ? undefined : (file as ConfigFile);
}
