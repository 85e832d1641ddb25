#!/usr/bin/env node
// minitwit <command>: every tool of the project behind one name (package.json "bin"; in the image and the
// repository: node dist/scripts/minitwit.js <command>). `minitwit <command> --help` says what each does.
import { minitwit } from './commands/index.js';

minitwit(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
