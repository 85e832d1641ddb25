// The real entry point (dist/src/server.js, what `npm start` runs) as a child process, its output kept.
import { spawn, type ChildProcess } from 'node:child_process';

const SERVER = new URL('../../dist/src/server.js', import.meta.url).pathname;

export interface ServerProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output: () => string;
  /** Its exit code once it has exited. */
  exited: Promise<number | null>;
}

/** Starts the server on loopback with only PATH from our environment, plus `env`. */
export function spawnServer(env: Record<string, string>, nodeOptions: string[] = []): ServerProcess {
  const child = spawn(process.execPath, [...nodeOptions, SERVER], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
