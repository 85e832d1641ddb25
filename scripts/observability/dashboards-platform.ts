// Business growth, the Node runtime with the app's database pool, and the host with PostgreSQL.
import type { DashboardSpec } from './grafana-model.js';

const RATE = '[$__rate_interval]';
const events = (filter: string) => `minitwit_business_events_total{${filter}}`;

export const businessGrowth: DashboardSpec = {
  uid: 'minitwit-business',
  title: 'MiniTwit: business growth',
  description: 'Users, messages and follows: what people (and the simulator) do with MiniTwit.',
  variables: [],
  panels: [
    {
      title: 'Rows in the database',
      description:
        'All-time totals of users, messages and follows (PostgreSQL estimates, via postgres-exporter ' +
        'with deploy/prometheus/postgres-exporter-queries.yml).',
      type: 'stat',
      width: 24,
      height: 5,
      queries: [{ expr: 'sum by (table_name) (minitwit_table_rows)', legend: '{{table_name}}' }],
    },
    {
      title: 'Writes in the time range',
      description:
        'Registrations, messages, follows and unfollows in the dashboard time range, both sources.',
      type: 'stat',
      width: 24,
      height: 5,
      queries: [
        { expr: 'sum by (event) (increase(minitwit_business_events_total[$__range]))', legend: '{{event}}' },
      ],
    },
    {
      title: 'Users registered per hour',
      description: 'New users over the last hour at each point, by source (web pages or simulator API).',
      queries: [
        {
          expr: `sum by (source) (increase(${events('event="user_registered"')}[1h]))`,
          legend: '{{source}}',
        },
      ],
    },
    {
      title: 'Messages posted per minute',
      description: 'New messages per minute, by source.',
      queries: [
        {
          expr: `sum by (source) (rate(${events('event="message_posted"')}${RATE})) * 60`,
          legend: '{{source}}',
        },
      ],
    },
    {
      title: 'Follows and unfollows per minute',
      description: 'Only changes count: following someone already followed is not a follow.',
      queries: [
        {
          expr: `sum by (event) (rate(${events('event=~"followed|unfollowed"')}${RATE})) * 60`,
          legend: '{{event}}',
        },
      ],
    },
    {
      title: 'Net new follows per hour',
      description: 'Follows minus unfollows over the last hour: whether the social graph grows or shrinks.',
      queries: [
        {
          expr:
            `(sum(increase(${events('event="followed"')}[1h])) or vector(0))` +
            ` - (sum(increase(${events('event="unfollowed"')}[1h])) or vector(0))`,
          legend: 'net follows',
        },
      ],
    },
  ],
};

const I = 'instance=~"$instance"';

export const runtimeAndDatabase: DashboardSpec = {
  uid: 'minitwit-runtime',
  title: 'MiniTwit: runtime and database',
  description: "Each MiniTwit process's Node.js runtime, its database pool, and its queries.",
  variables: [{ name: 'instance', label: 'Instance', query: 'label_values(nodejs_version_info, instance)' }],
  panels: [
    {
      title: 'Event-loop lag',
      description: 'How late timers fire: every request on the instance waits this long too.',
      unit: 's',
      queries: [
        { expr: `nodejs_eventloop_lag_p99_seconds{${I}}`, legend: 'p99 {{instance}}' },
        { expr: `nodejs_eventloop_lag_mean_seconds{${I}}`, legend: 'mean {{instance}}' },
      ],
    },
    {
      title: 'CPU',
      description: 'CPU time per second of each process (1 = one core busy).',
      unit: 'percentunit',
      queries: [{ expr: `rate(process_cpu_seconds_total{${I}}${RATE})`, legend: '{{instance}}' }],
    },
    {
      title: 'Memory',
      description: 'Resident memory and the V8 heap in use.',
      unit: 'bytes',
      queries: [
        { expr: `process_resident_memory_bytes{${I}}`, legend: 'rss {{instance}}' },
        { expr: `nodejs_heap_size_used_bytes{${I}}`, legend: 'heap used {{instance}}' },
      ],
    },
    {
      title: 'Garbage collection time',
      description: 'Seconds per second spent in GC pauses, by kind.',
      unit: 's',
      queries: [
        {
          expr: `sum by (instance, kind) (rate(nodejs_gc_duration_seconds_sum{${I}}${RATE}))`,
          legend: '{{kind}} {{instance}}',
        },
      ],
    },
    {
      title: 'Database up',
      description:
        'Whether the database answered each instance (1) at the last scrape; 0 means /readyz fails.',
      type: 'stat',
      width: 6,
      thresholds: [
        { color: 'red', value: null },
        { color: 'green', value: 1 },
      ],
      queries: [{ expr: `min by (instance) (minitwit_database_up{${I}})`, legend: '{{instance}}' }],
    },
    {
      title: 'Database pool',
      description:
        'Pooled connections (all, idle) and queries waiting for one; waiting above 0 for long is saturation.',
      width: 18,
      queries: [
        {
          expr: `sum by (instance) (minitwit_db_pool_connections{${I}})`,
          legend: 'connections {{instance}}',
        },
        { expr: `sum by (instance) (minitwit_db_pool_idle_connections{${I}})`, legend: 'idle {{instance}}' },
        {
          expr: `sum by (instance) (minitwit_db_pool_waiting_clients{${I}})`,
          legend: 'waiting {{instance}}',
        },
      ],
    },
    {
      title: 'Query duration p99 by operation',
      description: 'Slowest 1% of statements by SQL verb; "transaction" is a whole transaction.',
      unit: 's',
      queries: [
        {
          expr: `histogram_quantile(0.99, sum by (le, operation) (rate(minitwit_db_query_duration_seconds_bucket{${I}}${RATE})))`,
          legend: '{{operation}}',
        },
      ],
    },
    {
      title: 'Queries per second by operation and outcome',
      description: 'Statements per second; outcome "error" includes constraint violations the app expects.',
      unit: 'ops',
      stack: true,
      queries: [
        {
          expr: `sum by (operation, outcome) (rate(minitwit_db_query_duration_seconds_count{${I}}${RATE}))`,
          legend: '{{operation}} {{outcome}}',
        },
      ],
    },
  ],
};

export const hostAndPostgres: DashboardSpec = {
  uid: 'minitwit-host',
  title: 'MiniTwit: host and PostgreSQL',
  description: 'The machines (node-exporter) and PostgreSQL itself (postgres-exporter).',
  variables: [],
  panels: [
    {
      title: 'CPU busy',
      description: 'Share of CPU time not idle, per host.',
      unit: 'percentunit',
      queries: [
        {
          expr: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}${RATE}))`,
          legend: '{{instance}}',
        },
      ],
    },
    {
      title: 'Memory available',
      description: 'Share of memory the kernel can still hand out.',
      unit: 'percentunit',
      queries: [
        { expr: 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', legend: '{{instance}}' },
      ],
    },
    {
      title: 'Root disk free',
      description: 'Free share of the root filesystem: PostgreSQL and Docker logs live there.',
      unit: 'percentunit',
      queries: [
        {
          expr: 'node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}',
          legend: '{{instance}}',
        },
      ],
    },
    {
      title: 'Network traffic',
      description: 'Bytes per second received and sent, all interfaces but loopback.',
      unit: 'Bps',
      queries: [
        {
          expr: `sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}${RATE}))`,
          legend: 'in {{instance}}',
        },
        {
          expr: `sum by (instance) (rate(node_network_transmit_bytes_total{device!="lo"}${RATE}))`,
          legend: 'out {{instance}}',
        },
      ],
    },
    {
      title: 'PostgreSQL up',
      description: 'Whether postgres-exporter can connect to PostgreSQL.',
      type: 'stat',
      width: 6,
      thresholds: [
        { color: 'red', value: null },
        { color: 'green', value: 1 },
      ],
      queries: [{ expr: 'pg_up', legend: '{{instance}}' }],
    },
    {
      title: 'PostgreSQL connections by state',
      description: 'Server-side connections (active, idle, idle in transaction...), all databases.',
      width: 18,
      queries: [{ expr: 'sum by (state) (pg_stat_activity_count)', legend: '{{state}}' }],
    },
    {
      title: 'Transactions per second',
      description: 'Commits and rollbacks per database.',
      unit: 'ops',
      queries: [
        {
          expr: `sum by (datname) (rate(pg_stat_database_xact_commit${RATE}))`,
          legend: 'commit {{datname}}',
        },
        {
          expr: `sum by (datname) (rate(pg_stat_database_xact_rollback${RATE}))`,
          legend: 'rollback {{datname}}',
        },
      ],
    },
    {
      title: 'Database size',
      description: 'On-disk size of each database.',
      unit: 'bytes',
      queries: [{ expr: 'pg_database_size_bytes', legend: '{{datname}}' }],
    },
  ],
};
