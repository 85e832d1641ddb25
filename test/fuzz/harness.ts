// What the fuzz tests share: the pieces of malformed requests (fast-check arbitraries), a digest of every
// table, and the runner that sends each request through inject and checks the invariants:
// - no 5xx, whatever arrives;
// - a refused request (4xx), or a form shown again with its error, changes nothing in the database, but
//   for what the rules say it may change (the abuse limits' counters; the simulator's `latest`);
// - every request is counted, by status, for the closing report.
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Queryable } from '../../src/db/index.js';

/** Runs per property: a few hundred in `npm test`, thousands in CI's long run (FUZZ_RUNS=5000). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 100);

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

// ---- Pieces ------------------------------------------------------------------------------------------

/** Percent-encodes every byte of `text`'s UTF-8 (a lone surrogate becomes U+FFFD, as a browser sends it). */
const encodeBytes = (bytes: Uint8Array) =>
  [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const encodeText = (text: string) => encodeBytes(Buffer.from(text, 'utf8'));

/** Text of every kind: ASCII, any Unicode (controls, bidi, zero-width, astral, lone surrogates). */
export const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202e',
    '\u200b',
    '\ufeff',
    '\ud800',
    'a\u0000b',
    '\u0085',
    'Ａｌｉｃｅ',
    'аlice',
    '../..',
    '<script>',
    "'; DROP TABLE users; --",
  ),
);

/** One path segment as a client might send it: names that exist, malformed or odd encodings, raw bytes. */
export const pathSegment = (names: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...names) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '',
        '.',
        '..',
        '%2e%2e',
        '%',
        '%Z',
        '%ZZ',
        '%E0%A4',
        '%ED%A0%80',
        '%C0%AF',
        '%C0%80',
        '%FF',
        '%00',
        '%2F',
        '%252F',
        'a%20b',
        '%E2%80%AE',
        '%EF%BB%BFalice',
        'logout',
        'public',
        'static',
        'metrics',
        'x'.repeat(200),
        'y'.repeat(2000),
      ),
    },
    { weight: 2, arbitrary: anyText.map(encodeText) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map(encodeBytes) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.~!$&'()*+,;=:@-]{0,20}$/) },
  );

/** A value of a query parameter: numbers in every spelling, text, malformed encodings. */
const queryValue = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('', '-1', '0', '1e3', '0x10', '1.5', 'NaN', '99999999999999999999', '10001', '%', '%ZZ'),
  anyText.map(encodeText),
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
);

/** A query string: known keys and others, repeated, empty, prototype names. */
export const queryString = (keys: readonly string[], tokens: fc.Arbitrary<string> = queryValue) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...keys) },
          { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', '', 'a[b]', 'x') },
          { weight: 1, arbitrary: anyText.map(encodeText) },
        ),
        fc.oneof({ weight: 4, arbitrary: queryValue }, { weight: 1, arbitrary: tokens }),
        fc.boolean(),
      ),
      { maxLength: 4 },
    )
    .map((pairs) =>
      pairs.length === 0 ? '' : `?${pairs.map(([k, v, bare]) => (bare ? k : `${k}=${v}`)).join('&')}`,
    );

export const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH'),
  },
);

export const contentType = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('application/json', 'application/x-www-form-urlencoded'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json;;',
      'application/x-www-form-urlencoded; charset=utf-16',
      'text/plain',
      'text/html',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      '',
      ';',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,30}$/) },
);

/** A JSON value of any shape, nested. */
const anyJson = fc.jsonValue({ maxDepth: 4 });

/** A value of any JSON type, often the right one (a string), with odd text. */
export const oddValue = fc.oneof(
  { weight: 3, arbitrary: anyText },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, [], {}, ['bob'], { $ne: '' }) },
  { weight: 1, arbitrary: anyJson },
  { weight: 1, arbitrary: fc.integer({ min: 9_990, max: 10_010 }).map((n) => 'z'.repeat(n)) },
);

/** A field's value of the wrong type as often as of the right one. */
const fieldValue = (good: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...good) },
    { weight: 3, arbitrary: anyText },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, [], {}, ['bob'], { $ne: '' }) },
    { weight: 1, arbitrary: anyJson },
    { weight: 1, arbitrary: fc.integer({ min: 9_990, max: 10_010 }).map((n) => 'z'.repeat(n)) },
  );

/** A JSON object with the fields an endpoint reads, each possibly wrongly typed, missing or extra. */
export const fieldsObject = (fields: Record<string, readonly string[]>) =>
  fc.record(Object.fromEntries(Object.entries(fields).map(([name, good]) => [name, fieldValue(good)])), {
    requiredKeys: [],
  });

/** Bodies that are not what any endpoint reads: broken JSON, bytes, huge, deep. */
export const strangeBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  anyJson.map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(
    '',
    '{',
    '{"content": ',
    'null',
    '"\\ud800"',
    '{"content":"\\ud800"}',
    '{"content":"a\\u0000b"}',
    '{"__proto__":{"admin":true},"content":"x"}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"content":"a","content":"b"}',
    '{"follow":"bob","unfollow":"bob"}',
    'content=hello',
    'username=a&username=b',
    '\u0000\u0000',
    Buffer.from([0xc3, 0x28]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  ),
  fc.integer({ min: 1, max: 50_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 5_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.integer({ min: 60_000, max: 400_000 }).map((n) => JSON.stringify({ content: 'x'.repeat(n) })),
);

/** A form body (x-www-form-urlencoded) of the given fields, each possibly odd, repeated or missing. */
export const formBody = (fields: Record<string, fc.Arbitrary<string>>) =>
  fc
    .array(
      fc.oneof(
        ...Object.entries(fields).map(([name, value]) => fc.tuple(fc.constant(name), value)),
        fc.tuple(anyText, anyText),
      ),
      { maxLength: 6 },
    )
    .map((pairs) => {
      const form = new URLSearchParams();
      // URLSearchParams encodes a lone surrogate as U+FFFD; the raw bytes arrive through strangeBody.
      for (const [name, value] of pairs) form.append(name, value);
      return form.toString();
    });

// ---- The database's state ----------------------------------------------------------------------------

export interface Digest {
  users: string;
  follows: string;
  messages: string;
  backups: string;
  rateLimits: string;
  /** The newest `latest` record (older ones are pruned in the background, which is allowed any time). */
  latestSeq: number;
  latestAction: number | null;
}

const rowsDigest = (table: string, order: string) =>
  `(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY ${order}), '')) FROM ${table} t)`;

/** Every table's content in one statement (one snapshot). */
async function digest(db: Queryable): Promise<Digest> {
  const [row] = await db.query<Digest>(
    `SELECT ${rowsDigest('users', 't.user_id')} AS users,
            ${rowsDigest('follows', 't.who_id, t.whom_id')} AS follows,
            ${rowsDigest('messages', 't.message_id')} AS messages,
            ${rowsDigest('backups', 't.backup_id')} AS backups,
            ${rowsDigest('rate_limits', 't.key')} AS "rateLimits",
            coalesce((SELECT max(seq) FROM simulator_latest), 0)::int AS "latestSeq",
            (SELECT action_id FROM simulator_latest ORDER BY seq DESC LIMIT 1)::int AS "latestAction"`,
  );
  return row!;
}

interface Allowed {
  /** The abuse limits may count this request (sign-in and sign-up). */
  rateLimits?: boolean;
  /** `latest` may be recorded with one of these values (a simulator-authenticated request's `?latest=`). */
  latest?: string[];
}

/** Checks that between `before` and `after` nothing changed but what `allowed` permits. */
function expectUnchanged(before: Digest, after: Digest, allowed: Allowed, what: string): void {
  const { rateLimits, latestSeq, latestAction, ...rest } = after;
  const { rateLimits: rateBefore, latestSeq: seqBefore, latestAction: actionBefore, ...restBefore } = before;
  expect(rest, `${what}: the tables changed`).toEqual(restBefore);
  if (!allowed.rateLimits) expect(rateLimits, `${what}: rate_limits changed`).toBe(rateBefore);
  if (latestSeq !== seqBefore) {
    expect(allowed.latest, `${what}: latest was recorded`).toBeDefined();
    expect(latestSeq, `${what}: more than one latest recorded`).toBe(seqBefore + 1);
    expect(allowed.latest!.map(Number), `${what}: latest recorded as ${latestAction}`).toContain(
      latestAction,
    );
  } else {
    expect(latestAction, `${what}: latest changed`).toBe(actionBefore);
  }
}

// ---- Sending and counting ----------------------------------------------------------------------------

class FuzzCounter {
  readonly byStatus = new Map<number, number>();
  total = 0;

  count(status: number): void {
    this.total += 1;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  summary(name: string): string {
    const statuses = [...this.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
    return `fuzz ${name}: ${this.total} requests (${statuses.join(', ')})`;
  }
}

/** What a request, refused or not, may change besides what a refusal may: decided per request. */
export type AllowedFor = (request: FuzzRequest, reply: LightMyRequestResponse) => Allowed;

/**
 * Sends requests through inject and checks the invariants after each. The database's digest after one
 * request is the next one's "before": nothing else writes between them (the background pruning of old
 * `latest` records is not in the digest), so each request costs one digest, not two.
 */
export class Fuzzer {
  readonly counter = new FuzzCounter();
  private last: Digest | undefined;

  constructor(
    private readonly app: FastifyInstance,
    private readonly db: Queryable,
    /** What a refused request may change (beyond nothing). */
    private readonly allowedFor: AllowedFor,
    /** Whether the reply refused the request: a 4xx by default (web forms: also a form shown again). */
    private readonly refused: (request: FuzzRequest, reply: LightMyRequestResponse) => boolean = (_, reply) =>
      reply.statusCode >= 400,
  ) {}

  async send(request: FuzzRequest): Promise<LightMyRequestResponse> {
    const before = this.last ?? (await digest(this.db));
    const reply = await this.app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: request.headers,
      ...(request.payload === undefined ? {} : { payload: request.payload }),
    });
    this.counter.count(reply.statusCode);
    const what = `${request.method} ${request.url.slice(0, 200)} -> ${reply.statusCode}`;
    // Checked first: a failed expectation below must not leave a stale "before" for the next request.
    this.last = undefined;
    expect(reply.statusCode, `${what}: ${reply.body.slice(0, 300)}`).toBeLessThan(500);
    expect(reply.statusCode, what).toBeGreaterThanOrEqual(200);
    const after = await digest(this.db);
    if (this.refused(request, reply)) expectUnchanged(before, after, this.allowedFor(request, reply), what);
    this.last = after;
    return reply;
  }

  /** Something other than a fuzzed request wrote (a test's set-up step): take a fresh "before". */
  forget(): void {
    this.last = undefined;
  }
}

/** The values of `name` in a URL's query string, as a server decodes them (undefined when malformed). */
export function queryValues(url: string, name: string): string[] {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  return query
    .split('&')
    .map((pair) => pair.split('='))
    .filter(([key]) => safeDecode(key!) === name)
    .map(([, value = '']) => safeDecode(value) ?? value);
}

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
};
