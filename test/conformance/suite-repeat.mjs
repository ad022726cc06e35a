#!/usr/bin/env node
// Runs the conformance suite's own CLI (`conformance server --url URL --scenario NAME -o DIR`)
// several times in one process: node suite-repeat.mjs URL NAME RUNS OUT_PREFIX
//
// Why: the CLI takes ~4 s to start on a 2-core machine (it loads Express, Octokit, undici...),
// and a scenario run is a fraction of a second, so 20 runs of one scenario would cost 80 s of
// start-up. Here the CLI's module is evaluated afresh for every run (a new query string makes a
// new module instance; its dependencies stay loaded), with process.argv set for that run and
// process.exit caught, so each run is the CLI's own code from argument parsing to results, and
// run i writes its checks.json under OUT_PREFIX-i. Exits 0 (results are read from the files).

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SUITE = pathToFileURL(join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js')).href;
const [url, scenario, runsText, outPrefix] = process.argv.slice(2);
const runs = Number(runsText);
if (!url || !scenario || !Number.isInteger(runs) || !outPrefix) {
  process.stderr.write('usage: suite-repeat.mjs URL SCENARIO RUNS OUT_PREFIX\n');
  process.exit(2);
}

const argv0 = process.argv.slice(0, 2);
const realExit = process.exit;
for (let i = 0; i < runs; i++) {
  const exited = new Promise((done) => {
    // The CLI ends every run with process.exit(code); here that ends the run, not the process.
    // Code after that call in the CLI (it has none that matters) may still run.
    process.exit = (code) => done(code ?? 0);
  });
  process.argv = [...argv0, 'server', '--url', url, '--scenario', scenario, '-o', `${outPrefix}-${i}`];
  await import(`${SUITE}?run=${i}`);
  const code = await exited;
  process.stderr.write(`suite-repeat: run ${i + 1}/${runs} of ${scenario}: exit ${code}\n`);
}
process.exit = realExit;
process.exit(0);
