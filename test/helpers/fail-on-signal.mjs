// Preloaded (`node --import`) by test/server.test.ts into the real server: on SIGWINCH (a signal the
// server does not handle itself) the process throws an error nobody catches (FAIL_WITH=exception) or
// rejects a promise nobody handles (FAIL_WITH=rejection), as a bug would, outside any request.
import process from 'node:process';
import { setImmediate } from 'node:timers';

process.on('SIGWINCH', () => {
  if (process.env.FAIL_WITH === 'rejection')
    void Promise.reject(new Error('a test rejection nobody handles'));
  else
    setImmediate(() => {
      throw new Error('a test error nobody catches');
    });
});
