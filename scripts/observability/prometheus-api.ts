// The few calls of Prometheus's HTTP API the check makes.

export interface QueryOutcome {
  ok: boolean;
  error?: string;
  /** How many series (or 1 for a scalar) the expression returned. */
  results: number;
}

interface ApiReply<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}

async function call<T>(
  base: string,
  path: string,
  params: Record<string, string> = {},
): Promise<ApiReply<T>> {
  const reply = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  return (await reply.json()) as ApiReply<T>;
}

/** An instant query now: parses, evaluates, counts its series. */
export async function instantQuery(base: string, expr: string): Promise<QueryOutcome> {
  const reply = await call<{ resultType: string; result: unknown }>(base, '/api/v1/query', {
    query: expr,
  });
  if (reply.status !== 'success')
    return { ok: false, error: `${reply.errorType}: ${reply.error}`, results: 0 };
  const { result } = reply.data;
  return { ok: true, results: Array.isArray(result) ? result.length : 1 };
}

/** An instant query's series as `{labels} value` lines, for printing what was measured. */
export async function sampleLines(base: string, expr: string): Promise<string[]> {
  const reply = await call<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
    base,
    '/api/v1/query',
    { query: expr },
  );
  if (reply.status !== 'success') return [`error: ${reply.error}`];
  return reply.data.result.map(({ metric, value }) => {
    const labels = Object.entries(metric)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return `${labels || '(all)'}: ${Number(value[1]).toPrecision(3)}`;
  });
}

export async function labelValues(base: string, label: string, match: string): Promise<string[]> {
  const url = `${base}/api/v1/label/${label}/values?${new URLSearchParams({ 'match[]': match }).toString()}`;
  const reply = (await (await fetch(url)).json()) as ApiReply<string[]>;
  return reply.status === 'success' ? reply.data : [];
}

export interface RuleHealth {
  name: string;
  health: string;
  state?: string;
  lastError?: string;
}

export async function ruleHealth(base: string): Promise<RuleHealth[]> {
  const reply = (await (await fetch(`${base}/api/v1/rules`)).json()) as ApiReply<{
    groups: { rules: RuleHealth[] }[];
  }>;
  return reply.data.groups.flatMap((group) => group.rules);
}

export async function targetHealth(
  base: string,
): Promise<{ job: string; health: string; lastError: string }[]> {
  const reply = (await (await fetch(`${base}/api/v1/targets?state=active`)).json()) as ApiReply<{
    activeTargets: { labels: { job: string }; health: string; lastError: string }[];
  }>;
  return reply.data.activeTargets.map((t) => ({
    job: t.labels.job,
    health: t.health,
    lastError: t.lastError,
  }));
}
