// The JSON Schema of the config file, generated from the zod schema (never written by hand), and
// shipped as schema/leash.schema.json for editors. A test keeps the committed file in step.

import { z } from 'zod';
import { configSchema } from './schema.js';

/** The schema as an object. `io: 'input'` describes what users write (durations as text), not what the loader returns. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-2020-12',
    override: (ctx) => {
      // zod bounds every integer by MAX_SAFE_INTEGER; that only adds noise to editor hints.
      if (ctx.jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete ctx.jsonSchema.maximum;
    },
  }) as Record<string, unknown>;
}

/** Exactly the text of schema/leash.schema.json. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
