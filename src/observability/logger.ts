// The one logger: JSON lines in Elastic Common Schema for machines, readable lines for a person at a terminal.
// Either way no control or bidi character a client sent reaches the terminal raw (src/terminal-text.ts):
// JSON lines write them as JSON escapes (the same JSON: Elasticsearch sees exactly what was logged), the
// pretty lines show them as text.
import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { ecsFormat } from '@elastic/ecs-pino-format';
import type { Config } from '../config.js';
import { escapeJsonLine, showEscapesInJsonLine } from '../terminal-text.js';

/** Everything that may carry a secret; pino replaces these before a line is written. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'http.request.headers.authorization',
  'http.request.headers.cookie',
  'http.response.headers["set-cookie"]',
  '*.password',
  '*.password2',
  '*.pwd',
  '*.csrf_token',
];

const PRETTY_HIDDEN = ['event', 'http', 'url', 'client', 'user_agent', 'user', 'http\\.request\\.id'].join(
  ',',
);

/** Every line passes through `rewrite` on its way to `destination`. */
const rewriting = (destination: DestinationStream, rewrite: (line: string) => string): DestinationStream => ({
  write: (line: string) => destination.write(rewrite(line)),
});

export function createLogger(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  destination?: NodeJS.WritableStream,
): Logger {
  const pretty =
    config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY && !destination);
  if (pretty) {
    // In this thread rather than as a transport: the lines are rewritten before pino-pretty reads them.
    const prettyStream = pinoPretty({
      // The access line's message says it all for a person (method, path, status, time); its ECS fields,
      // and the request id every line carries, are for machines and would fill the terminal.
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: `pid,hostname,${PRETTY_HIDDEN}`,
      destination: destination ?? 1,
      sync: true,
    });
    return pino(
      { level: config.logLevel, redact: REDACTED_PATHS },
      rewriting(prettyStream, showEscapesInJsonLine),
    );
  }
  const options = { ...ecsFormat({ convertReqRes: true }), level: config.logLevel, redact: REDACTED_PATHS };
  const sink = (destination as DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true });
  return pino(options, rewriting(sink, escapeJsonLine));
}
