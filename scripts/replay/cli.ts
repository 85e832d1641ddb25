// The replay command line: arguments in, report out, an exit code back (0 only when all went right).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatProgress } from './progress.js';
import { formatReport } from './report.js';
import { replay, UnreachableApiError } from './run.js';
import { parseScenario } from './scenario-file.js';
import { basicAuthorization } from './simulator-requests.js';

export const USAGE = `Usage: npm run replay -- --url URL --csv FILE [options]

Replays a MiniTwit simulator scenario (tab-separated: id, delay, timestamp, action, user, ...) against
a simulator API, as the course's simulator sends it, but as fast as allowed (the delay column is ignored),
then checks GET /latest and every registered user's message count and follows.

  --url URL          the API's base URL, e.g. http://localhost:5001
  --csv FILE         the scenario file
  --concurrency N    actions of different users in flight at once (default 1, as the simulator)
  --limit K          replay only the first K lines
  --timeout-ms MS    a reply slower than this is a timeout error (default 300, as the simulator)
  --give-up-ms MS    how long to still wait for a late reply, before the user's next action
                     (default 10000): one slow reply is one timeout error, not a cascade of 404s
  --keep-alive       reuse connections (the simulator opens one per request)
  --user NAME        Basic auth user (default simulator)
  --password PWD     Basic auth password (default super_safe!)
  --json             also print the report as JSON on stdout (the text report then goes to stderr)
  --quiet            no progress lines
  --help             this text

Exit status: 0 when there was no error and both checks passed, 1 otherwise, 2 when nothing could be
replayed (bad arguments, unreadable file, API not answering GET /latest).`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

class UsageError extends Error {}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${name} must be a positive integer`);
  return Number(value);
}

function parseCliArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      csv: { type: 'string' },
      concurrency: { type: 'string' },
      limit: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'give-up-ms': { type: 'string' },
      'keep-alive': { type: 'boolean', default: false },
      user: { type: 'string', default: 'simulator' },
      password: { type: 'string', default: 'super_safe!' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  if (!values.url) throw new UsageError('--url is required');
  if (!values.csv) throw new UsageError('--csv is required');
  if (!URL.canParse(values.url) || !/^https?:$/.test(new URL(values.url).protocol)) {
    throw new UsageError(`--url must be an http(s) URL, got ${values.url}`);
  }
  return {
    url: values.url,
    csv: values.csv,
    concurrency: positiveInteger(values.concurrency, '--concurrency', 1),
    limit: positiveInteger(values.limit, '--limit', Infinity),
    timeoutMs: positiveInteger(values['timeout-ms'], '--timeout-ms', 300),
    giveUpMs: positiveInteger(values['give-up-ms'], '--give-up-ms', 10_000),
    keepAlive: values['keep-alive'],
    authorization: basicAuthorization(values.user, values.password),
    json: values.json,
    quiet: values.quiet,
  };
}

export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let args: ReturnType<typeof parseCliArgs>;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    io.err(`replay: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (!args) {
    io.out(USAGE);
    return 0;
  }
  let actions;
  try {
    actions = parseScenario(await readFile(args.csv, 'utf8'), args.limit);
  } catch (error) {
    io.err(`replay: cannot read ${args.csv}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (actions.length === 0) {
    io.err(`replay: ${args.csv} holds no actions`);
    return 2;
  }
  const total = actions.length;
  let report;
  try {
    report = await replay({
      ...args,
      actions,
      ...(args.quiet
        ? {}
        : { onProgress: (stats, seconds) => io.err(formatProgress(stats, total, seconds)) }),
    });
  } catch (error) {
    if (!(error instanceof UnreachableApiError)) throw error;
    io.err(`replay: the API does not answer, nothing was sent: ${error.message}`);
    return 2;
  }
  if (args.json) {
    io.err(formatReport(report));
    io.out(JSON.stringify(report, null, 2));
  } else {
    io.out(formatReport(report));
  }
  return report.ok ? 0 : 1;
}
