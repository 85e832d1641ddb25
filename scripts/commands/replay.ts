// minitwit replay: replays a simulator scenario against a MiniTwit API and checks the result.
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';
import { defineCommand, positiveInteger, UsageError } from '../lib/command.js';
import type { WriteRecord } from '../replay/acknowledged.js';
import { formatProgress } from '../replay/progress.js';
import { formatReport } from '../replay/report.js';
import { replay, UnreachableApiError } from '../replay/run.js';
import { parseScenario } from '../replay/scenario-file.js';
import type { TimedError } from '../replay/stats.js';
import { basicAuthorization } from '../replay/simulator-requests.js';

const USAGE = `Usage: minitwit replay --url URL --csv FILE [options]

Replays a MiniTwit simulator scenario (tab-separated: id, delay, timestamp, action, user, ...) against
a simulator API, as the course's simulator sends it, but as fast as allowed (the delay column is ignored),
then checks GET /latest and every registered user's message count and follows.

  --url URL          the API's base URL, e.g. http://localhost:5001
  --csv FILE         the scenario file
  --concurrency N    actions of different users in flight at once (default 1, as the simulator)
  --limit K          replay only the first K lines
  --rate N           start at most N actions per second (default: as fast as allowed)
  --timeout-ms MS    a reply slower than this is a timeout error (default 300, as the simulator)
  --give-up-ms MS    how long to still wait for a late reply, before the user's next action
                     (default 10000): one slow reply is one timeout error, not a cascade of 404s
  --keep-alive       reuse connections (the simulator opens one per request)
  --user NAME        Basic auth user (default simulator)
  --password PWD     Basic auth password (default super_safe!)
  --acknowledged FILE  write one JSON line per write sent (register, tweet, follow, unfollow): action id,
                     kind, user, text or target, and whether the server acknowledged it with a 2xx
                     ("acknowledged": false: no reply, a 5xx or a connection error, so it may or may not
                     have happened; refusals (4xx) are left out). minitwit check-acknowledged reads it.
  --errors FILE      write one JSON line per error: action id, kind, user, what went wrong, and when its
                     request was sent and ended (sentAtMs, endedAtMs: epoch milliseconds)
  --json             also print the report as JSON on stdout (the text report then goes to stderr)
  --quiet            no progress lines
  --help             this text

Exit status: 0 when there was no error and both checks passed, 1 otherwise, 2 when nothing could be
replayed (bad arguments, unreadable file, API not answering GET /latest).`;

async function openWriteLog(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  await new Promise((resolve, reject) => stream.once('open', resolve).once('error', reject));
  return stream;
}

export const run = defineCommand(
  {
    name: 'replay',
    summary: 'replay a simulator scenario against the API and check the end state',
    usage: USAGE,
    options: {
      url: { type: 'string' },
      csv: { type: 'string' },
      concurrency: { type: 'string' },
      limit: { type: 'string' },
      rate: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'give-up-ms': { type: 'string' },
      'keep-alive': { type: 'boolean', default: false },
      user: { type: 'string', default: COURSE_SIMULATOR_CREDENTIALS.username },
      password: { type: 'string', default: COURSE_SIMULATOR_CREDENTIALS.password },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      acknowledged: { type: 'string' },
      errors: { type: 'string' },
    },
  },
  async ({ values }, io) => {
    if (!values.url) throw new UsageError('--url is required');
    if (!values.csv) throw new UsageError('--csv is required');
    if (!URL.canParse(values.url) || !/^https?:$/.test(new URL(values.url).protocol)) {
      throw new UsageError(`--url must be an http(s) URL, got ${values.url}`);
    }
    const limit = positiveInteger(values.limit, '--limit', Infinity);
    let actions;
    try {
      actions = parseScenario(await readFile(values.csv, 'utf8'), limit);
    } catch (error) {
      io.err(`replay: cannot read ${values.csv}: ${error instanceof Error ? error.message : String(error)}`);
      return 2;
    }
    if (actions.length === 0) {
      io.err(`replay: ${values.csv} holds no actions`);
      return 2;
    }
    const total = actions.length;
    let writes: WriteStream | undefined;
    let errorLog: WriteStream | undefined;
    for (const [option, path] of [
      ['acknowledged', values.acknowledged],
      ['errors', values.errors],
    ] as const) {
      if (path === undefined) continue;
      try {
        const stream = await openWriteLog(path);
        if (option === 'acknowledged') writes = stream;
        else errorLog = stream;
      } catch (error) {
        writes?.end();
        io.err(`replay: cannot write ${path}: ${(error as Error).message}`);
        return 2;
      }
    }
    const log = writes;
    const errors = errorLog;
    let report;
    try {
      report = await replay({
        url: values.url,
        actions,
        concurrency: positiveInteger(values.concurrency, '--concurrency', 1),
        ...(values.rate === undefined ? {} : { ratePerSecond: positiveInteger(values.rate, '--rate', 0) }),
        timeoutMs: positiveInteger(values['timeout-ms'], '--timeout-ms', 300),
        giveUpMs: positiveInteger(values['give-up-ms'], '--give-up-ms', 10_000),
        keepAlive: values['keep-alive'],
        authorization: basicAuthorization(values.user, values.password),
        ...(log ? { onWrite: (record: WriteRecord) => log.write(`${JSON.stringify(record)}\n`) } : {}),
        ...(errors ? { onError: (error: TimedError) => errors.write(`${JSON.stringify(error)}\n`) } : {}),
        ...(values.quiet
          ? {}
          : { onProgress: (stats, seconds) => io.err(formatProgress(stats, total, seconds)) }),
      });
    } catch (error) {
      if (!(error instanceof UnreachableApiError)) throw error;
      io.err(`replay: the API does not answer, nothing was sent: ${error.message}`);
      return 2;
    } finally {
      for (const stream of [writes, errorLog]) {
        stream?.end();
        if (stream) await finished(stream);
      }
    }
    if (values.json) {
      io.err(formatReport(report));
      io.out(JSON.stringify(report, null, 2));
    } else {
      io.out(formatReport(report));
    }
    return report.ok ? 0 : 1;
  },
);
