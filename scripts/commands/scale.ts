// minitwit bench scale: each page and API request on a small and a large database, in one run, as ratios.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { encodeCursor } from '../../src/web/cursor.js';
import { startApp, type AppProcess } from '../lib/app-process.js';
import { signIn } from '../lib/http.js';
import { percentile } from '../lib/stats.js';
import { defineCommand, positiveInteger, UsageError } from '../lib/command.js';
import { SIMULATOR_AUTHORIZATION } from '../replay/simulator-requests.js';
import { SEED_PASSWORD } from '../seed/seed.js';

const USAGE = `Usage: minitwit bench scale --small URL --large URL [options]

Times each page and API request of MiniTwit, one at a time, on two PostgreSQL databases filled by
\`minitwit seed\` (a small one and a large one), and prints each request's median and 90th percentile on
both and the ratio large / small. It starts the app (dist/src/server.js) once per database on ports of
its own, picks its subjects in each database (the user who follows the most, the one who wrote the most,
one who follows a handful), signs in as them with the seed's password, and alternates between the two
databases round by round so that the machine's noise falls on both alike. It writes nothing.

  --small URL     the small database (postgres://...)
  --large URL     the large database
  --rounds N      timed requests per request and database (default 30, after 3 untimed)
  --port P        the first of six ports to use (default 27200)
  --heavy N       then, on the large database, another user's page timed alone and while N requests
                  of the heaviest follower's timeline are kept in flight (default 16)
  --json FILE     also write the figures as JSON
  --help          this text`;

interface Subjects {
  heavy: { name: string; follows: number };
  prolific: { name: string; messages: number };
  typical: { name: string; follows: number };
  /** A cursor halfway back in time (public and personal timelines), and halfway through the prolific's. */
  deep: string;
  deepOfProlific: string;
  counts: { users: number; messages: number; follows: number };
}

const positionOf = `to_char(pub_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

async function pickSubjects(url: string): Promise<Subjects> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async <T>(sql: string, params: unknown[] = []) =>
      (await client.query(sql, params)).rows[0] as T;
    const heavy = await one<{ name: string; follows: number }>(
      `SELECT u.username AS name, f.n::int AS follows FROM
         (SELECT who_id, count(*) AS n FROM follows GROUP BY who_id ORDER BY n DESC LIMIT 1) f
       JOIN users u ON u.user_id = f.who_id`,
    );
    const prolific = await one<{ id: number; name: string; messages: number }>(
      `SELECT u.user_id::int AS id, u.username AS name, m.n::int AS messages FROM
         (SELECT author_id, count(*) AS n FROM messages GROUP BY author_id ORDER BY n DESC LIMIT 1) m
       JOIN users u ON u.user_id = m.author_id`,
    );
    const typical = await one<{ name: string; follows: number }>(
      `SELECT u.username AS name, f.n::int AS follows FROM
         (SELECT who_id, count(*) AS n FROM follows GROUP BY who_id HAVING count(*) BETWEEN 5 AND 20
          ORDER BY who_id LIMIT 1) f
       JOIN users u ON u.user_id = f.who_id`,
    );
    const cursorAt = async (sql: string, params: unknown[]) =>
      encodeCursor(await one<{ position: string; messageId: number }>(sql, params));
    const deep = await cursorAt(
      `SELECT ${positionOf} AS position, message_id::int AS "messageId" FROM messages
       WHERE NOT flagged AND pub_date < (SELECT min(pub_date) + (max(pub_date) - min(pub_date)) / 2 FROM messages)
       ORDER BY pub_date DESC, message_id DESC LIMIT 1`,
      [],
    );
    const deepOfProlific = await cursorAt(
      `SELECT ${positionOf} AS position, message_id::int AS "messageId" FROM messages
       WHERE author_id = $1 AND NOT flagged ORDER BY pub_date DESC, message_id DESC OFFSET $2 LIMIT 1`,
      [prolific.id, Math.floor(prolific.messages / 2)],
    );
    const counts = await one<Subjects['counts']>(
      `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM messages)::int AS messages,
              (SELECT count(*) FROM follows)::int AS follows`,
    );
    return { heavy, prolific, typical, deep, deepOfProlific, counts };
  } finally {
    await client.end();
  }
}

interface Instance {
  web: string;
  api: string;
  app: AppProcess;
  cookies: Record<'heavy' | 'typical', string>;
  subjects: Subjects;
}

async function startInstance(url: string, port: number): Promise<Instance> {
  const subjects = await pickSubjects(url);
  const app = await startApp({
    port,
    env: {
      DATABASE_URL: url,
      MINITWIT_ROLE: 'all',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      SIGNIN_LIMIT_PER_CLIENT: '0',
      SIGNIN_LIMIT_PER_ACCOUNT: '0',
    },
  });
  const cookies = {
    heavy: await signIn(app.web, subjects.heavy.name, SEED_PASSWORD),
    typical: await signIn(app.web, subjects.typical.name, SEED_PASSWORD),
  };
  return { web: app.web, api: app.api, app, cookies, subjects };
}

interface Probe {
  label: string;
  url: (i: Instance) => string;
  headers: (i: Instance) => Record<string, string>;
}

const api = { authorization: SIMULATOR_AUTHORIZATION };
const name = (n: string) => encodeURIComponent(n);
const PROBES: Probe[] = [
  { label: 'API GET /msgs?no=100', url: (i) => `${i.api}/msgs?no=100`, headers: () => api },
  {
    label: 'API GET /msgs/<most messages>?no=100',
    url: (i) => `${i.api}/msgs/${name(i.subjects.prolific.name)}?no=100`,
    headers: () => api,
  },
  {
    label: 'API GET /fllws/<follows the most>?no=100',
    url: (i) => `${i.api}/fllws/${name(i.subjects.heavy.name)}?no=100`,
    headers: () => api,
  },
  {
    label: 'API GET /fllws/<follows the most>?no=1000',
    url: (i) => `${i.api}/fllws/${name(i.subjects.heavy.name)}?no=1000`,
    headers: () => api,
  },
  { label: 'web GET /public', url: (i) => `${i.web}/public`, headers: () => ({}) },
  {
    label: 'web GET /public?before= (halfway back)',
    url: (i) => `${i.web}/public?before=${i.subjects.deep}`,
    headers: () => ({}),
  },
  {
    label: 'web GET /<most messages>',
    url: (i) => `${i.web}/${name(i.subjects.prolific.name)}`,
    headers: () => ({}),
  },
  {
    label: 'web GET /<most messages>?before= (halfway)',
    url: (i) => `${i.web}/${name(i.subjects.prolific.name)}?before=${i.subjects.deepOfProlific}`,
    headers: () => ({}),
  },
  {
    label: 'web GET / (signed in, follows a handful)',
    url: (i) => `${i.web}/`,
    headers: (i) => ({ cookie: i.cookies.typical }),
  },
  {
    label: 'web GET / (signed in, follows the most)',
    url: (i) => `${i.web}/`,
    headers: (i) => ({ cookie: i.cookies.heavy }),
  },
  {
    label: 'web GET /?before= (follows the most, halfway back)',
    url: (i) => `${i.web}/?before=${i.subjects.deep}`,
    headers: (i) => ({ cookie: i.cookies.heavy }),
  },
];

async function timeOnce(probe: Probe, instance: Instance): Promise<number> {
  const started = performance.now();
  const reply = await fetch(probe.url(instance), { headers: probe.headers(instance), redirect: 'manual' });
  await reply.arrayBuffer();
  const elapsed = performance.now() - started;
  if (reply.status !== 200) throw new Error(`${probe.label}: ${reply.status} from ${probe.url(instance)}`);
  return elapsed;
}

/**
 * How much one user's heavy requests slow another's: the other user's page timed alone, then while
 * `concurrency` requests of the heavy user's timeline are kept in flight (more than the pool holds).
 */
async function heavyUserBound(instance: Instance, rounds: number, concurrency: number) {
  const heavy = PROBES.find((p) => p.label.includes('follows the most)'))!;
  const other = PROBES.find((p) => p.label.includes('follows a handful'))!;
  const timeOther = async () => {
    const list: number[] = [];
    for (let i = 0; i < rounds; i++) list.push(await timeOnce(other, instance));
    return list.sort((a, b) => a - b);
  };
  const alone = await timeOther();
  let stop = false;
  let heavyAnswered = 0;
  let heavyFailed = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stop) {
      const reply = await fetch(heavy.url(instance), {
        headers: heavy.headers(instance),
        redirect: 'manual',
      });
      await reply.arrayBuffer();
      heavyAnswered++;
      if (reply.status !== 200) heavyFailed++;
    }
  });
  await sleep(1000);
  const loaded = await timeOther();
  stop = true;
  await Promise.all(loops);
  const summary = (list: number[]) => ({ median: percentile(list, 0.5), p90: percentile(list, 0.9) });
  return { concurrency, alone: summary(alone), loaded: summary(loaded), heavyAnswered, heavyFailed };
}

const ms = (value: number) => value.toFixed(1);

export const run = defineCommand(
  {
    name: 'scale',
    summary: 'each request on a small and a large database, as ratios',
    usage: USAGE,
    options: {
      small: { type: 'string' },
      large: { type: 'string' },
      rounds: { type: 'string' },
      port: { type: 'string' },
      json: { type: 'string' },
      heavy: { type: 'string' },
    },
  },
  async ({ values }, io) => {
    if (!values.small || !values.large) throw new UsageError('--small and --large are required');
    const rounds = positiveInteger(values.rounds, '--rounds', 30);
    const port = positiveInteger(values.port, '--port', 27200);
    const concurrency = positiveInteger(values.heavy, '--heavy', 16);
    const instances: Instance[] = [];
    try {
      instances.push(await startInstance(values.small, port));
      instances.push(await startInstance(values.large, port + 3));
      const times = PROBES.map(() => instances.map((): number[] => []));
      for (let round = -3; round < rounds; round++) {
        for (const [p, probe] of PROBES.entries()) {
          for (const [d, instance] of instances.entries()) {
            const elapsed = await timeOnce(probe, instance);
            if (round >= 0) times[p]![d]!.push(elapsed);
          }
        }
      }
      const rows = PROBES.map((probe, p) => {
        const [small, large] = times[p]!.map((list) => [...list].sort((a, b) => a - b)) as [
          number[],
          number[],
        ];
        return {
          request: probe.label,
          small: { median: percentile(small, 0.5), p90: percentile(small, 0.9) },
          large: { median: percentile(large, 0.5), p90: percentile(large, 0.9) },
          ratio: percentile(large, 0.5) / percentile(small, 0.5),
        };
      });
      const describe = (i: Instance) => {
        const { counts, heavy, prolific, typical } = i.subjects;
        return `${counts.users} users, ${counts.messages} messages, ${counts.follows} follows; follows the most: ${heavy.follows}, most messages: ${prolific.messages}, a handful: ${typical.follows}`;
      };
      io.out(`small: ${describe(instances[0]!)}`);
      io.out(`large: ${describe(instances[1]!)}`);
      io.out(`${rounds} timed requests each, one at a time, alternating databases; milliseconds\n`);
      io.out('| request | small median | small p90 | large median | large p90 | large / small |');
      io.out('|---|---|---|---|---|---|');
      for (const row of rows) {
        io.out(
          `| ${row.request} | ${ms(row.small.median)} | ${ms(row.small.p90)} | ${ms(row.large.median)} | ${ms(row.large.p90)} | ${row.ratio.toFixed(2)} |`,
        );
      }
      const heavyUser = await heavyUserBound(instances[1]!, rounds, concurrency);
      io.out(
        `\nOne heavy user (the large database): ${concurrency} requests of their timeline (${instances[1]!.subjects.heavy.follows} followed) kept in flight at once;` +
          ` meanwhile another user's page (web GET / of a user following a handful):`,
      );
      io.out('| | median | p90 | heavy requests answered | of which not 200 |');
      io.out('|---|---|---|---|---|');
      io.out(`| alone | ${ms(heavyUser.alone.median)} | ${ms(heavyUser.alone.p90)} | | |`);
      io.out(
        `| under the heavy user's load | ${ms(heavyUser.loaded.median)} | ${ms(heavyUser.loaded.p90)} | ${heavyUser.heavyAnswered} | ${heavyUser.heavyFailed} |`,
      );
      if (values.json) {
        const subjects = instances.map((i) => i.subjects);
        await writeFile(values.json, `${JSON.stringify({ rounds, subjects, rows, heavyUser }, null, 2)}\n`);
      }
      return 0;
    } finally {
      for (const instance of instances) await instance.app.stop();
    }
  },
);
