// Compiles standard JSON from stdin with solc-js and writes the result to stdout.
// solc-js's own CLI ends with process.exit(), which cuts piped output at 64 KiB; here node exits
// on its own once stdout has drained. Imports that forge did not inline resolve against the
// base path given as the first argument.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const base = process.argv[2] || process.cwd();
const input = fs.readFileSync(0, 'utf8');

function findImports(p) {
  for (const candidate of [path.resolve(base, p), path.resolve(base, 'node_modules', p)]) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `file not found: ${p}` };
}

process.stdout.write(solc.compile(input, { import: findImports }));
