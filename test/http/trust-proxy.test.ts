// Whose word the app takes for a client's address (X-Forwarded-For): the address is logged and counted by
// the abuse limits, so a client must not be able to choose it. TRUST_PROXY=true (every hop) is refused
// by the configuration (test/config-security.test.ts).
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
    '1',
    [
      [CLIENT, CLIENT],
      ['10.0.0.2', CLIENT],
      ['127.0.0.1', CLIENT],
      ['::ffff:192.168.1.5', CLIENT],
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
