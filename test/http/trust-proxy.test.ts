// Whose word the app takes for a client's address (X-Forwarded-For): the address is logged and counted by
// the abuse limits, so a client must not be able to choose it. TRUST_PROXY names the proxies exactly:
// `true` (every hop) and a hop count (any private address) are refused by the configuration
// (test/config-security.test.ts).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appsOn, startApp, type TestApp } from '../helpers/app.js';

const CLIENT = '198.51.100.7';
/** What a client writes itself, then what its proxy appends: the client's real address. */
const FORWARDED = `203.0.113.99, ${CLIENT}`;

type Apps = Awaited<ReturnType<typeof appsOn>>;
let t: TestApp;
beforeAll(async () => {
  t = await startApp({ role: 'web', env: { LOG_LEVEL: 'silent' } });
});
afterAll(() => t.close());

/** The address the access log recorded for a request sent from `from` with X-Forwarded-For. */
async function seenAddress(apps: Apps, from: string, forwardedFor: string) {
  const reply = await apps.web.inject({
    method: 'GET',
    url: '/healthz',
    remoteAddress: from,
    headers: { 'x-forwarded-for': forwardedFor },
  });
  const line = apps.logs().find((l) => l['http.request.id'] === reply.headers['x-request-id']);
  return (line?.client as { ip?: string } | undefined)?.ip;
}

const CASES: [trust: string, cases: [from: string, seen: string][]][] = [
  // TRUST_PROXY, [connecting from, the address that must be seen]...
  [
    'false',
    [
      [CLIENT, CLIENT],
      ['10.0.0.2', '10.0.0.2'],
    ],
  ],
  [
    // The swarm's edge network (deploy/swarm/stack.yml): Caddy forwards from it; a client that reaches
    // the app any other way (the ingress, 10.0.0.0/24) is itself, whatever it forwards.
    '10.251.0.0/24',
    [
      ['10.251.0.7', CLIENT],
      ['10.0.0.2', '10.0.0.2'],
      ['::ffff:10.251.0.7', CLIENT],
    ],
  ],
  [
    '10.0.0.2',
    [
      [CLIENT, CLIENT],
      ['10.0.0.2', CLIENT],
      ['10.0.0.3', '10.0.0.3'],
    ],
  ],
  [
    '10.0.0.0/8',
    [
      ['10.9.8.7', CLIENT],
      ['172.16.0.1', '172.16.0.1'],
    ],
  ],
];

describe.each(CASES)('TRUST_PROXY=%s', (trust, cases) => {
  let apps: Apps;
  beforeAll(async () => {
    apps = await appsOn(t, { TRUST_PROXY: trust, LOG_LEVEL: 'debug' });
  });
  afterAll(() => apps.close());

  test.each(cases)(
    'when %s connects and forwards a client, then %s is the address seen',
    async (from, seen) => {
      expect(await seenAddress(apps, from, FORWARDED)).toBe(seen);
    },
  );
});

describe('the attack of issue 18, finding 9, against the documented setting', () => {
  test('when a client on a private address that is not the proxy names a new address for each wrong password, then it is still counted as itself and refused at its limit', async () => {
    const apps = await appsOn(t, { TRUST_PROXY: '10.251.0.0/24', SIGNIN_LIMIT_PER_CLIENT: '30' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 33; i++) {
        const reply = await apps.web.inject({
          method: 'POST',
          url: '/login',
          remoteAddress: '10.0.0.2',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-forwarded-for': `198.51.100.${i + 1}`,
          },
          payload: new URLSearchParams({ username: `guess-${i}`, password: 'x' }).toString(),
        });
        statuses.push(reply.statusCode);
      }
      expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true);
      expect(statuses.slice(30)).toEqual([429, 429, 429]);
    } finally {
      await apps.close();
    }
  });
});
