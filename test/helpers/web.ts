// Helpers for web page tests: a browser-like client over inject (a cookie jar, forms, redirects followed
// like python-requests does in the course's tests), and both apps on one database.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Database } from '../../src/db/index.js';
import { startApp } from './app.js';

export interface Reply extends LightMyRequestResponse {
  /** The Location of every redirect followed on the way, in order. */
  redirects: string[];
}

/** One visitor: keeps the cookies the app sets and sends them back, as a browser or requests.Session. */
export class Visitor {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly app: FastifyInstance,
    /** Headers sent with every request, e.g. Sec-Fetch-Site as a browser sends it. */
    private readonly headers: Record<string, string> = {},
  ) {}

  get(url: string, headers: Record<string, string> = {}, follow = true): Promise<Reply> {
    return this.request('GET', url, undefined, headers, follow);
  }

  post(url: string, form: Record<string, string>, headers: Record<string, string> = {}, follow = true) {
    return this.request('POST', url, new URLSearchParams(form).toString(), headers, follow);
  }

  async request(
    method: 'GET' | 'POST',
    url: string,
    payload: string | undefined,
    headers: Record<string, string>,
    follow: boolean,
  ): Promise<Reply> {
    const redirects: string[] = [];
    let reply = await this.send(method, url, payload, headers);
    // 302 after a form post becomes a GET, as in browsers and python-requests.
    while (follow && reply.statusCode >= 301 && reply.statusCode <= 303 && redirects.length < 10) {
      const location = String(reply.headers.location);
      redirects.push(location);
      reply = await this.send('GET', location, undefined, headers);
    }
    return Object.assign(reply, { redirects });
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    payload: string | undefined,
    extra: Record<string, string>,
  ) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const reply = await this.app.inject({
      method,
      url,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        ...(cookie ? { cookie } : {}),
        ...this.headers,
        ...extra,
      },
      ...(payload === undefined ? {} : { payload }),
    });
    for (const set of reply.cookies as { name: string; value: string; expires?: Date }[]) {
      if (set.expires && set.expires.getTime() <= Date.now()) this.cookies.delete(set.name);
      else this.cookies.set(set.name, encodeURIComponent(set.value));
    }
    return reply;
  }

  register(username: string, password = 'default', password2 = password, email = `${username}@example.com`) {
    return this.post('/register', { username, email, password, password2 });
  }

  login(username: string, password = 'default') {
    return this.post('/login', { username, password });
  }

  async registerAndLogin(username: string, password = 'default') {
    await this.register(username, password);
    return this.login(username, password);
  }

  logout() {
    return this.get('/logout');
  }

  addMessage(text: string) {
    return this.post('/add_message', { text });
  }
}

/** The texts of the flashes on a page, in order. */
export function flashes(html: string): string[] {
  const list = /<ul class=flashes>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  return list
    .split('<li>')
    .slice(1)
    .map((item) => item.trim());
}

export interface WebAndApi {
  web: FastifyInstance;
  api: FastifyInstance;
  db: Database;
  close(): Promise<void>;
}

/** The web pages and the simulator API on one test database, as one deployment runs them. */
export async function startWebAndApi(): Promise<WebAndApi> {
  const t = await startApp({ role: 'all', env: { LOG_LEVEL: 'silent' } });
  return { web: t.web, api: t.api, db: t.db, close: () => t.close() };
}
