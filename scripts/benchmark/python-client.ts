// The course's simulator is a Python program (requests, one action at a time, a new connection each):
// about ten times slower per action than our Node.js replay, and the client the 1.25x goal was
// set against. With --python-client the bench also replays the scenario through simulator_client.py,
// which sends what the course's simulator sends, against the floor and against ours, in the same run.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CLIENT = fileURLToPath(new URL('../../../scripts/benchmark/simulator_client.py', import.meta.url));
/** As the Node.js replays: below the server it measures (they share two cores). */
const NICENESS = '10';

export interface PythonReplay {
  actions: number;
  seconds: number;
  /** By action and what went wrong: "tweet timeout", "follow 404", ... */
  errors: Record<string, number>;
}

export async function runPythonClient(
  url: string,
  scenarioFile: string,
  suffix: string,
): Promise<PythonReplay> {
  const args = ['-n', NICENESS, 'python3', CLIENT, '--url', url, '--csv', scenarioFile, '--suffix', suffix];
  // Exit status 1 means "some errors": the JSON line says which; anything else is a failure to run.
  const { stdout } = await promisify(execFile)('nice', args, { maxBuffer: 1 << 20 }).catch(
    (error: { code?: unknown; stdout?: string }) => {
      if (error.code === 1 && error.stdout) return { stdout: error.stdout };
      throw error;
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as PythonReplay;
}
