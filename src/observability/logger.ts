// The one logger: JSON lines in Elastic Common Schema for machines, readable lines for a person at a terminal.
import { pino, type Logger } from 'pino';
import { ecsFormat } from '@elastic/ecs-pino-format';
import type { Config } from '../config.js';

/** Everything that may carry a secret; pino replaces these before a line is written. */
export const REDACTED_PATHS = [
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
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  const options = { ...ecsFormat({ convertReqRes: true }), level: config.logLevel, redact: REDACTED_PATHS };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
