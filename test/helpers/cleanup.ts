// Loaded before every test file (vitest.config.ts): whatever tmpDir() made is removed when the
// file is done, so a test run leaves no folders behind in the temp directory.

import { afterAll } from 'vitest';
import { removeTmpDirs } from './procs.js';

afterAll(removeTmpDirs);
