// The two traffic dashboards: the service as its users see it, and the simulator as the course grades it.
import type { DashboardSpec } from './grafana-model.js';

const R = 'role=~"$role"';
const RATE = '[$__rate_interval]';
const bucket = (filter: string) => `minitwit_http_request_duration_seconds_bucket{${filter}}`;
const count = (filter: string) => `minitwit_http_request_duration_seconds_count{${filter}}`;
const quantile = (q: number, by: string, filter: string) =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${bucket(filter)}${RATE})))`;

/** Apdex with T = 0.1 s (satisfied) and 0.3 s, the simulator's timeout, as the tolerated limit; 5xx never satisfy. */
const apdex = (by: string) => {
  const sum = by ? `sum by (${by})` : 'sum';
  return (
    `(${sum} (rate(${bucket(`${R}, le="0.1", status_code!~"5.."`)}${RATE}))` +
    ` + ${sum} (rate(${bucket(`${R}, le="0.3", status_code!~"5.."`)}${RATE}))) / 2` +
    ` / ${sum} (rate(${count(R)}${RATE}))`
  );
};

const roleVariable = {
  name: 'role',
  label: 'Role',
  query: 'label_values(minitwit_http_requests_total, role)',
};
const apdexThresholds = [
  { color: 'red', value: null },
  { color: 'orange', value: 0.85 },
  { color: 'green', value: 0.94 },
];

export const serviceOverview: DashboardSpec = {
  uid: 'minitwit-service',
  title: 'MiniTwit: service overview',
  description: 'Rate, errors and duration of both roles (web pages, simulator API), per route.',
  variables: [roleVariable],
  panels: [
    {
      title: 'Requests per second',
      description: 'Answered requests by role (probes and /metrics scrapes are not counted).',
      unit: 'reqps',
      width: 10,
      queries: [
        { expr: `sum by (role) (rate(minitwit_http_requests_total{${R}}${RATE}))`, legend: '{{role}}' },
      ],
    },
    {
      title: 'Apdex (0.1 s satisfied, 0.3 s tolerated)',
      description:
        'Share of satisfied requests plus half the tolerated ones; above 0.3 s or 5xx is frustrated.',
      type: 'stat',
      width: 4,
      min: 0,
      max: 1,
      thresholds: apdexThresholds,
      queries: [{ expr: apdex('') }],
    },
    {
      title: 'Apdex by role',
      description: 'The Apdex score over time: 1 is every request under 0.1 s; below 0.85 users notice.',
      width: 10,
      min: 0,
      max: 1,
      queries: [{ expr: apdex('role'), legend: '{{role}}' }],
    },
    {
      title: 'Server errors (5xx) share',
      description: 'Share of requests answered 5xx, by role. The alert fires above 1% for 5 minutes.',
      unit: 'percentunit',
      queries: [
        {
          expr:
            `(sum by (role) (rate(minitwit_http_requests_total{${R}, status_code=~"5.."}${RATE}))` +
            ` or sum by (role) (rate(minitwit_http_requests_total{${R}}${RATE})) * 0)` +
            ` / sum by (role) (rate(minitwit_http_requests_total{${R}}${RATE}))`,
          legend: '{{role}}',
        },
      ],
    },
    {
      title: 'Errors by kind',
      description:
        'bad_request, unauthorized, not_found, payload_too_large, request_timeout, client_error (other 4xx), ' +
        'server_error, unavailable (503), slow (over 0.3 s), aborted (client gave up).',
      unit: 'reqps',
      stack: true,
      queries: [
        { expr: `sum by (kind) (rate(minitwit_http_errors_total{${R}}${RATE}))`, legend: '{{kind}}' },
      ],
    },
    {
      title: 'Latency percentiles, all routes',
      description: 'p50, p90 and p99 request duration. The simulator gives up at 0.3 s.',
      unit: 's',
      queries: [
        { expr: quantile(0.5, '', R), legend: 'p50' },
        { expr: quantile(0.9, '', R), legend: 'p90' },
        { expr: quantile(0.99, '', R), legend: 'p99' },
      ],
    },
    {
      title: 'p99 latency by route',
      description: 'The slowest 1% of each route (route templates, e.g. /msgs/:username).',
      unit: 's',
      queries: [{ expr: quantile(0.99, 'role, method, route', R), legend: '{{role}} {{method}} {{route}}' }],
    },
    {
      title: 'Requests by route and status',
      description: 'Per route template and status code; "unmatched" is every path no route knows.',
      unit: 'reqps',
      queries: [
        {
          expr: `sum by (role, method, route, status_code) (rate(minitwit_http_requests_total{${R}}${RATE}))`,
          legend: '{{role}} {{method}} {{route}} {{status_code}}',
        },
      ],
    },
    {
      title: 'Requests in flight',
      description: 'Received and not yet answered, by role: a rising line means requests queue up.',
      width: 6,
      queries: [{ expr: `sum by (role) (minitwit_http_requests_in_flight{${R}})`, legend: '{{role}}' }],
    },
    {
      title: 'Instances up',
      description: 'Whether Prometheus could scrape each MiniTwit instance (1) or not (0).',
      width: 6,
      min: 0,
      max: 1,
      queries: [{ expr: 'up{job=~"minitwit-.*"}', legend: '{{job}} {{instance}}' }],
    },
    {
      title: 'Error log lines',
      description: 'Log lines at level error (with their stack traces), from Elasticsearch.',
      type: 'logs',
      width: 24,
      height: 10,
      logQuery: 'log.level:error',
    },
  ],
};

const API = 'role="api"';

export const simulatorView: DashboardSpec = {
  uid: 'minitwit-simulator',
  title: 'MiniTwit: simulator',
  description: "The course simulator's view: its latest action id, its requests, and the errors it counts.",
  variables: [],
  panels: [
    {
      title: 'Latest action id',
      description:
        'The highest ?latest= any API instance recorded (GET /latest answers it from the database).',
      type: 'stat',
      width: 6,
      queries: [{ expr: 'max(minitwit_simulator_latest_action_id)' }],
    },
    {
      title: 'Latest action id over time',
      description:
        'Should climb steadily while the simulator runs; flat with traffic is the LatestStuck alert.',
      width: 18,
      queries: [{ expr: 'max(minitwit_simulator_latest_action_id)', legend: 'latest' }],
    },
    {
      title: 'Simulator requests per second by route',
      description: 'API requests by route template: register, tweet (POST /msgs/:username), follow, reads.',
      unit: 'reqps',
      stack: true,
      queries: [
        {
          expr: `sum by (method, route) (rate(minitwit_http_requests_total{${API}}${RATE}))`,
          legend: '{{method}} {{route}}',
        },
      ],
    },
    {
      title: 'Unexpected statuses by route',
      description:
        'Non-2xx API replies, by route and status: the simulator counts each as an error, except a 400 on ' +
        'POST /register for a taken username.',
      unit: 'reqps',
      stack: true,
      queries: [
        {
          expr: `sum by (method, route, status_code) (rate(minitwit_http_requests_total{${API}, status_code!~"2.."}${RATE}))`,
          legend: '{{method}} {{route}} {{status_code}}',
        },
      ],
    },
    {
      title: 'Timeouts (replies over 0.3 s) by route',
      description: 'Replies the simulator gave up on: each one is an error on the course status page.',
      unit: 'reqps',
      queries: [
        {
          expr:
            `sum by (method, route) (rate(${count(API)}${RATE}))` +
            ` - sum by (method, route) (rate(${bucket(`${API}, le="0.3"`)}${RATE}))`,
          legend: '{{method}} {{route}}',
        },
      ],
    },
    {
      title: 'API p99 latency by route',
      description: 'Against the 0.3 s timeout: the alert fires when any role p99 stays above 0.25 s.',
      unit: 's',
      queries: [{ expr: quantile(0.99, 'method, route', API), legend: '{{method}} {{route}}' }],
    },
    {
      title: 'Errors in the time range, by route and kind',
      description: 'Totals over the dashboard time range, like the status page table.',
      type: 'table',
      width: 24,
      queries: [
        {
          expr: `sum by (method, route, kind) (increase(minitwit_http_errors_total{${API}}[$__range]))`,
          instant: true,
        },
      ],
    },
  ],
};
