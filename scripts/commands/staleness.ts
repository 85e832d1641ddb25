// minitwit bench staleness --write URL --read URL [--trials N]
// How long a write on one replica stays unseen on another (their read caches kept in step by
// LISTEN/NOTIFY): posts on the first, then reads the author's list on the second, as fast as it answers,
// until the post shows. The read side's list is read (cached) before each post.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { call, must } from '../lib/http.js';
import { percentiles } from '../lib/stats.js';
import { defineCommand, positiveInteger, UsageError } from '../lib/command.js';

const USAGE = `Usage: minitwit bench staleness --write URL --read URL [--trials N]

Two instances of the simulator API on one PostgreSQL server (--write, --read): N times (default 200),
posts a message on --write, then reads GET /msgs/<author>?no=1 on --read until the message shows. Prints
the time from the post's reply to the first read that shows it, and how many reads before it were stale.`;

export const run = defineCommand(
  {
    name: 'staleness',
    summary: 'how long a write on one replica stays unseen on another',
    usage: USAGE,
    options: { write: { type: 'string' }, read: { type: 'string' }, trials: { type: 'string' } },
  },
  async ({ values }, io) => {
    if (!values.write || !values.read) throw new UsageError('give --write and --read');
    const trials = positiveInteger(values.trials, '--trials', 200);
    const author = `staleness ${randomBytes(4).toString('hex')}`;
    const list = `${values.read}/msgs/${encodeURIComponent(author)}?no=1`;
    await must(
      `${values.write}/register`,
      'POST',
      { username: author, email: 'x@example.com', pwd: 'x' },
      204,
    );
    const delays: number[] = [];
    let staleReads = 0;
    let immediately = 0;
    for (let i = 0; i < trials; i++) {
      await call(list); // cached on the read side
      const text = `post ${i}`;
      await must(`${values.write}/msgs/${encodeURIComponent(author)}`, 'POST', { content: text }, 204);
      const posted = performance.now();
      for (let reads = 0; ; reads++) {
        const reply = await call(list);
        if (reply.text.includes(`"${text}"`)) {
          delays.push(performance.now() - posted);
          if (reads === 0) immediately++;
          break;
        }
        staleReads++;
      }
    }
    const p = percentiles(delays);
    io.out(`trials: ${trials}; seen by the first read after the post's reply: ${immediately}`);
    io.out(`stale reads in all: ${staleReads}`);
    io.out(`ms from the post's reply to a read that shows it: p50 ${p.p50}, p99 ${p.p99}, max ${p.max}`);
    return 0;
  },
);
