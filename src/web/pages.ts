// Rendering: the eta templates in ./views, escaped as the original's Jinja escapes, wrapped in the layout
// with the navigation and the flashes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import LinkifyIt from 'linkify-it';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Profile, TimelineMessage } from '../minitwit.js';
import { avatarUrl } from './avatars.js';
import { takeFlashes } from './flashes.js';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&#34;',
  "'": '&#39;',
};

/** Markup that is already escaped (MarkupSafe's `Markup`): the escape function lets it through. */
export class Html {
  constructor(readonly html: string) {}
}

const NEEDS_ESCAPE = /[&<>"']/;

/** MarkupSafe's escaping, entity for entity: the course's tests look for `&#34;foo&#34;`. */
function escapeHtml(value: unknown): string {
  if (value instanceof Html) return value.html;
  // Templates print strings and numbers; anything else is a template's bug, shown as text, not markup.
  const text =
    typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
  // Most text has nothing to escape: a test is far cheaper than a replace that finds nothing.
  return NEEDS_ESCAPE.test(text) ? text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!) : text;
}

const eta = new Eta({
  views: fileURLToPath(new URL('./views/', import.meta.url)),
  autoEscape: true,
  escapeFunction: escapeHtml,
  cache: true,
});

export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

// The stylesheet's and the script's URLs carry a hash of their content, so a changed file is fetched at
// once even though browsers may cache it for a day.
const versioned = (file: string) =>
  `/static/${file}?v=${createHash('sha256')
    .update(readFileSync(`${STATIC_DIR}${file}`))
    .digest('hex')
    .slice(0, 12)}`;
const ASSETS = { stylesheet: versioned('style.css'), script: versioned('pages.js') };

/** A path segment for a username: spaces, slashes, apostrophes and the rest percent-encoded. */
export const userPath = (username: string) => `/${encodeURIComponent(username)}`;

/** `YYYY-MM-DD @ HH:MM` in UTC, as the original's datetimeformat filter. */
const formatDate = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' @ ');

/** "<username>'s Timeline" with only the name escaped, as the original's template writes it. */
export const profileTitle = (username: string) => new Html(`${escapeHtml(username)}'s Timeline`);

interface MessageView {
  username: string;
  profileUrl: string;
  avatarUrl: string;
  text: Html;
  date: string;
  isoDate: string;
  utcDate: string;
}

/** Addresses in a message become links: web addresses only (no mail, ftp or protocol-relative ones). */
const linkify = new LinkifyIt({}, { fuzzyEmail: false })
  .add('mailto:', null)
  .add('ftp:', null)
  .add('//', null);

/**
 * A message's text as markup: escaped as everywhere else, with its http(s) addresses as links that pass
 * no ranking (`nofollow ugc`) and no access to this page (`noopener`).
 */
export function messageMarkup(text: string): Html {
  const links = linkify.pretest(text) ? linkify.match(text) : null;
  if (!links) return new Html(escapeHtml(text));
  let html = '';
  let at = 0;
  for (const link of links) {
    if (!/^https?:\/\//i.test(link.url)) continue;
    html += escapeHtml(text.slice(at, link.index));
    html += `<a href="${escapeHtml(link.url)}" rel="nofollow ugc noopener">${escapeHtml(link.raw)}</a>`;
    at = link.lastIndex;
  }
  return new Html(html + escapeHtml(text.slice(at)));
}

const messageView = (m: TimelineMessage): MessageView => ({
  username: m.username,
  profileUrl: userPath(m.username),
  avatarUrl: avatarUrl(m.username),
  text: messageMarkup(m.text),
  date: formatDate(m.pubDate),
  isoDate: m.pubDate.toISOString(),
  utcDate: `${m.pubDate.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
});

/**
 * A timeline's list of messages as markup: rendered once per page of a timeline and kept with it in the
 * read cache, so that a cached page costs the layout around it, not 30 messages' escaping again.
 */
const renderMessages = (messages: TimelineMessage[]): Html =>
  new Html(eta.render('messages', { messages: messages.map(messageView) }));

/**
 * The longest run of `messages`, from the first, whose markup is at most `maxBytes` (UTF-8), rendered; at
 * least one message (one is at most about 120 kB). Sized one by one only when the whole list is over.
 */
export function renderMessagesWithin(
  messages: TimelineMessage[],
  maxBytes: number,
): { html: Html; shown: TimelineMessage[] } {
  const whole = renderMessages(messages);
  if (Buffer.byteLength(whole.html) <= maxBytes) return { html: whole, shown: messages };
  // Each alone, with the list's own markup around it: the sum is a little over the list's size, never under.
  let bytes = 0;
  let count = 0;
  for (const message of messages) {
    bytes += Buffer.byteLength(renderMessages([message]).html);
    if (bytes > maxBytes && count > 0) break;
    count++;
  }
  const shown = messages.slice(0, count);
  return { html: renderMessages(shown), shown };
}

/** Renders `view` inside the layout; the layout shows (and so clears) the pending flashes. */
export function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  view: string,
  data: { title: string | Html; user: Profile | undefined } & Record<string, unknown>,
): FastifyReply {
  const html = eta.render(view, {
    ...data,
    flashes: takeFlashes(request, reply),
    ...ASSETS,
    // The session's CSRF token, for the links and forms that act as the signed-in user (csrf.ts).
    csrfToken: data.user ? request.csrfToken() : undefined,
  });
  return sendPage(reply, html);
}

/**
 * `view` as every signed-out reader with no flash waiting sees it: the same for all of them, so a
 * timeline's page can be kept whole (timeline-routes.ts).
 */
export const renderSignedOutPage = (view: string, data: { title: string | Html } & Record<string, unknown>) =>
  eta.render(view, { ...data, user: undefined, flashes: [], ...ASSETS, csrfToken: undefined });

export const sendPage = (reply: FastifyReply, html: string): FastifyReply =>
  reply.type('text/html; charset=utf-8').send(html);

/** An error page in the layout; it leaves the flashes for the next real page. */
export function renderErrorPage(
  reply: FastifyReply,
  status: number,
  message: string,
  user: Profile | undefined,
): FastifyReply {
  const title = STATUS_TITLES[status] ?? 'Error';
  const csrf = user ? reply.request.csrfToken() : undefined;
  const data = { title, status, message, user, flashes: [], ...ASSETS, csrfToken: csrf };
  const html = eta.render('error', data);
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
