// The bench's helper processes: the load generator, the replay client and the reference servers each run
// in a process of their own, so that none of them shares an event loop with the bench or with another.
// A child gets its input in one IPC message and answers with one message: `ready` (a server, with its
// URL) or `result` (a one-shot task), or `error`.
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';

type Reply<T> = { type: 'ready' | 'result'; value: T } | { type: 'error'; message: string };

export interface ChildOptions {
  /** Niceness (0-19): a client that must not take the cores from the server it measures. */
  nice?: number;
}

function start(script: URL, options: ChildOptions): ChildProcess {
  // execArgv: [] so that flags the bench itself runs with (--cpu-prof, --inspect) stay the bench's own.
  const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (options.nice && child.pid !== undefined) setPriority(child.pid, options.nice);
  return child;
}

function firstReply<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`${what}: the process ended (${signal ?? `exit code ${code}`}) before answering`));
    child.once('exit', onExit);
    child.once('message', (message: Reply<T>) => {
      child.off('exit', onExit);
      if (message.type === 'error') reject(new Error(`${what}: ${message.message}`));
      else resolve(message.value);
    });
  });
}

/** Runs a one-shot task in a child process and returns its result. */
export async function runInChild<Input, Output>(
  script: URL,
  input: Input,
  what: string,
  options: ChildOptions = {},
): Promise<Output> {
  const child = start(script, options);
  const reply = firstReply<Output>(child, what);
  void reply.catch(() => undefined); // awaited below, unless sending fails first
  try {
    child.send(input as object);
    return await reply;
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

export interface ChildServer<Ready> {
  ready: Ready;
  stop(): Promise<void>;
}

/** Starts a server in a child process; it answers `ready` once it listens. */
export async function startChildServer<Input, Ready>(
  script: URL,
  input: Input,
  what: string,
): Promise<ChildServer<Ready>> {
  const child = start(script, {});
  const reply = firstReply<Ready>(child, what);
  void reply.catch(() => undefined); // awaited below, unless sending fails first
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  try {
    child.send(input as object);
    return { ready: await reply, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The child's side: reads its one input, runs `task`, sends its result (or error) back. */
export function serveChildTask<Input, Output>(
  kind: 'ready' | 'result',
  task: (input: Input) => Promise<Output>,
): void {
  // The bench went away (finished, crashed, interrupted): so does its helper, server or not.
  process.once('disconnect', () => process.exit(0));
  process.once('message', (input: Input) => {
    task(input).then(
      (value) => process.send?.({ type: kind, value } satisfies Reply<Output>),
      (error: unknown) =>
        process.send?.({
          type: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        } satisfies Reply<Output>),
    );
  });
}
