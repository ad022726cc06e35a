// `npm run schema` (after a build): regenerate schema/leash.schema.json from the zod schema.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderJsonSchema } from './json-schema.js';

// Both src/config and dist/config sit two levels below the package root.
const target = fileURLToPath(new URL('../../schema/leash.schema.json', import.meta.url));
writeFileSync(target, renderJsonSchema());
process.stderr.write(`wrote ${target}\n`);
