// Replays a simulator scenario against a MiniTwit API and checks the result: see scripts/replay/cli.ts.
import { runCli } from './replay/cli.js';

process.exitCode = await runCli(process.argv.slice(2));
