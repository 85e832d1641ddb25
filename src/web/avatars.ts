// Avatars of our own: an identicon drawn from a hash of the username, served by the app. No third party
// learns who reads whose messages (a Gravatar URL sent a hash of every poster's e-mail with each page
// view), the picture is there when other sites are blocked, and it never changes for a name, so browsers
// keep it for a year.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { toSvg } from 'jdenticon';
import { LRUCache } from 'lru-cache';

const SIZE = 48;
const KEY = /^[0-9a-f]{20}$/;

/** A name's avatar URL; names repeat on every page, so each is hashed once (the most recent kept). */
const urls = new LRUCache<string, string>({ max: 10_000 });

export function avatarUrl(username: string): string {
  let url = urls.get(username);
  if (url === undefined) {
    const key = createHash('sha256').update(username).digest('hex').slice(0, 20);
    url = `/static/avatars/${key}.svg`;
    urls.set(username, url);
  }
  return url;
}

export async function avatarRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { file: string } }>('/static/avatars/:file', async (request, reply) => {
    const key = request.params.file.replace(/\.svg$/, '');
    if (!request.params.file.endsWith('.svg') || !KEY.test(key))
      return reply.code(404).type('text/plain; charset=utf-8').send('No such avatar.');
    return reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(toSvg(key, SIZE, { padding: 0.08 }));
  });
}
