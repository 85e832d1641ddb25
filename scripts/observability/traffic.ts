// A simple mixed load for the check: simulator API writes and reads, the web pages, and some requests that
// must fail (403, 404, 400, unmatched paths), so every dashboard panel has something to show.
import { SIMULATOR_AUTHORIZATION } from '../replay/simulator-requests.js';

const JSON_HEADERS = { 'content-type': 'application/json', authorization: SIMULATOR_AUTHORIZATION };

export interface TrafficReport {
  requests: number;
  byStatus: Record<number, number>;
  failures: number;
}

interface Target {
  apiUrl: string;
  webUrl: string;
  /** Off while the scenario replay runs: it checks GET /latest against its own last action id. */
  sendLatest: boolean;
}

let latest = 1_000_000;

async function send(report: TrafficReport, url: string, init: RequestInit = {}): Promise<void> {
  try {
    const reply = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
    await reply.arrayBuffer();
    report.requests++;
    report.byStatus[reply.status] = (report.byStatus[reply.status] ?? 0) + 1;
  } catch {
    report.failures++;
  }
}

/** One simulated user's session: register, post, follow the previous user, unfollow, read; plus mistakes. */
async function session(
  report: TrafficReport,
  { apiUrl, webUrl, sendLatest }: Target,
  worker: number,
  round: number,
) {
  const me = `obs-user-${worker}-${round}`;
  const previous = `obs-user-${worker}-${Math.max(0, round - 1)}`;
  const api = (path: string) =>
    sendLatest ? `${apiUrl}${path}${path.includes('?') ? '&' : '?'}latest=${++latest}` : `${apiUrl}${path}`;
  const user = encodeURIComponent(me);
  await send(report, api('/register'), {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({ username: me, email: `${me}@example.com`, pwd: 'obs-password' }),
  });
  await send(report, api(`/msgs/${user}`), {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({ content: `message ${round} from ${me}` }),
  });
  for (const body of [{ follow: previous }, { unfollow: previous }, { follow: previous }]) {
    await send(report, api(`/fllws/${user}`), {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(body),
    });
  }
  await send(report, api('/msgs?no=20'), { headers: JSON_HEADERS });
  await send(report, api(`/msgs/${user}`), { headers: JSON_HEADERS });
  await send(report, api(`/fllws/${user}`), { headers: JSON_HEADERS });
  await send(report, `${apiUrl}/latest`);
  // What must fail: no credentials (403), an unknown user (404), bad JSON (400), no such route (404).
  await send(report, api('/msgs'));
  await send(report, api('/msgs/nobody-at-all'), { headers: JSON_HEADERS });
  await send(report, api(`/msgs/${user}`), { method: 'POST', headers: JSON_HEADERS, body: '{not json' });
  await send(report, `${apiUrl}/no/such/endpoint`);
  // The web pages, read-only: timelines and a profile, and a page that does not exist.
  await send(report, `${webUrl}/public`);
  await send(report, `${webUrl}/${user}`);
  await send(report, `${webUrl}/login`);
  await send(report, `${webUrl}/no-such-user-${round}`);
}

/** Runs `concurrency` workers until `durationMs` has passed. */
export async function generateTraffic(
  target: Target,
  durationMs: number,
  concurrency = 4,
): Promise<TrafficReport> {
  const report: TrafficReport = { requests: 0, byStatus: {}, failures: 0 };
  const deadline = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let round = 0; Date.now() < deadline; round++) await session(report, target, worker, round);
    }),
  );
  return report;
}
