import { Ajv } from 'ajv';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApi, type TestApp } from '../helpers/app.js';
import { path, register, sim, tweet } from '../helpers/simulator.js';

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

let t: TestApp;
let doc: Document;
beforeAll(async () => {
  t = await startApi();
  await register(t.app, 'Ann Lee');
  await register(t.app, 'Bo');
  await tweet(t.app, 'Ann Lee', 'hi');
  doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
});
afterAll(() => t.close());

/** The published schema of one reply: OpenAPI writes `/msgs/{username}` for our `/msgs/:username`. */
function publishedSchema(method: string, openapiPath: string, status: number): object | undefined {
  const operation = doc.paths[openapiPath]?.[method.toLowerCase()];
  expect(operation, `${method} ${openapiPath} is documented`).toBeDefined();
  const response = operation!.responses[String(status)];
  expect(response, `${method} ${openapiPath} documents ${status}`).toBeDefined();
  return response!.content?.['application/json']?.schema;
}

test('the document is OpenAPI 3 and lists every simulator endpoint', () => {
  expect(doc.openapi).toMatch(/^3\./);
  expect(Object.keys(doc.paths).sort()).toEqual([
    '/fllws/{username}',
    '/latest',
    '/msgs',
    '/msgs/{username}',
    '/register',
  ]);
});

test('real replies, successes and errors, match the published schemas', async () => {
  const ajv = new Ajv({ strict: false });
  const calls: [method: 'GET' | 'POST', url: string, openapiPath: string, body?: unknown][] = [
    ['GET', '/latest', '/latest'],
    ['POST', '/register', '/register', { username: 'Cy', email: 'c@y', pwd: 'x' }],
    ['POST', '/register', '/register', { username: 'Cy', email: 'c@y', pwd: 'x' }],
    ['GET', '/msgs', '/msgs'],
    ['GET', '/msgs?no=nope', '/msgs'],
    ['GET', path('/msgs', 'Ann Lee'), '/msgs/{username}'],
    ['GET', path('/msgs', 'Nobody'), '/msgs/{username}'],
    ['POST', path('/msgs', 'Ann Lee'), '/msgs/{username}', { content: 'again' }],
    ['POST', path('/msgs', 'Ann Lee'), '/msgs/{username}', { content: 1 }],
    ['POST', path('/fllws', 'Ann Lee'), '/fllws/{username}', { follow: 'Bo' }],
    ['GET', path('/fllws', 'Ann Lee'), '/fllws/{username}'],
    ['GET', path('/fllws', 'Nobody'), '/fllws/{username}'],
  ];
  const seen = new Set<number>();
  for (const [method, url, openapiPath, body] of calls) {
    const reply = await sim(t.app, method, url, body);
    seen.add(reply.statusCode);
    const schema = publishedSchema(method, openapiPath, reply.statusCode);
    if (reply.statusCode === 204) {
      expect(reply.body).toBe('');
      continue;
    }
    const validate = ajv.compile(schema!);
    expect(
      validate(reply.json()),
      `${method} ${url} → ${reply.statusCode}: ${JSON.stringify(validate.errors)}`,
    ).toBe(true);
  }
  expect([...seen].sort()).toEqual([200, 204, 400, 404]);
  // And a 403, which every guarded endpoint documents.
  const refused = await sim(t.app, 'GET', '/msgs', undefined, {});
  expect(ajv.compile(publishedSchema('GET', '/msgs', 403)!)(refused.json())).toBe(true);
});

test('the interactive docs are served at /docs', async () => {
  const page = await t.app.inject({ method: 'GET', url: '/docs/' });
  expect(page.statusCode).toBe(200);
  expect(page.body).toMatch(/swagger-ui/i);
  const spec = await t.app.inject({ method: 'GET', url: '/docs/json' });
  expect(spec.json()).toEqual(doc);
});
