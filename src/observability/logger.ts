// The one logger: JSON lines in Elastic Common Schema for machines, readable lines for a person at a terminal.
import { pino, type Logger } from 'pino';
import { ecsFormat } from '@elastic/ecs-pino-format';
import type { Config } from '../config.js';

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

export function createLogger(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  destination?: NodeJS.WritableStream,
): Logger {
  const pretty =
    config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY && !destination);
  if (pretty) {
    return pino({
      level: config.logLevel,
      redact: REDACTED_PATHS,
      transport: {
        target: 'pino-pretty',
        // The access line's message says it all for a person (method, path, status, time); its ECS fields,
        // and the request id every line carries, are for machines and would fill the terminal.
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: `pid,hostname,${PRETTY_HIDDEN}` },
      },
    });
  }
  const options = { ...ecsFormat({ convertReqRes: true }), level: config.logLevel, redact: REDACTED_PATHS };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
