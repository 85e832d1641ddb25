// The real entry point (dist/src/server.js, what `npm start` runs) as a child process, its output kept.
import { spawn, type ChildProcess } from 'node:child_process';

const SERVER = new URL('../../dist/src/server.js', import.meta.url).pathname;

export interface ServerProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output: () => string;
  /** Its exit code once it has exited. */
  exited: Promise<number | null>;
  /** Resolves as soon as the output matches `pattern` (it is told of every chunk); false when it exits first. */
  printed: (pattern: RegExp) => Promise<boolean>;
  /**
   * The port each role listens on, from its `listening on` log line: started with port 0 (any free one),
   * the server picks its own, so no other process can take a port between our choosing it and its binding.
   */
  ports: () => Partial<Record<'web' | 'api' | 'metrics', number>>;
}

/** Starts the server on loopback with only PATH from our environment, plus `env`. */
export function spawnServer(env: Record<string, string>, nodeOptions: string[] = []): ServerProcess {
  const child = spawn(process.execPath, [...nodeOptions, SERVER], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const watchers = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const watcher of watchers) watcher();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = (pattern: RegExp) =>
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (!pattern.test(output)) return;
        watchers.delete(check);
        resolve(true);
      };
      watchers.add(check);
      check();
      void exited.then(() => {
        watchers.delete(check);
        resolve(pattern.test(output));
      });
    });
  const ports = () => {
    const found: Partial<Record<'web' | 'api' | 'metrics', number>> = {};
    for (const [, role, port] of output.matchAll(
      /MiniTwit (web|api|metrics) listening on http:\/\/[^\s"]*:(\d+)/g,
    ))
      found[role as 'web' | 'api' | 'metrics'] = Number(port);
    return found;
  };
  return { child, output: () => output, exited, printed, ports };
}
