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
import { signInPath } from './return-to.js';

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
 * `@name`: a name starts and ends with a letter, digit or underscore, and may hold dots and hyphens between
 * (a name with spaces cannot be mentioned). Not after a letter, digit, `@`, `.` or `/`: not in `a@b.org`.
 */
const MENTION = /(?<![\p{L}\p{N}_@./])@([\p{L}\p{N}_](?:[\p{L}\p{N}_.-]*[\p{L}\p{N}_])?)/gu;
/** At most this many names are looked up for one page of messages. */
const MENTIONS_PER_PAGE = 100;

/** A text's links (web addresses only), each where it stands. */
function linksIn(text: string) {
  const links = linkify.pretest(text) ? linkify.match(text) : null;
  return (links ?? []).filter((link) => /^https?:\/\//i.test(link.url));
}

/** The text between (and around) its links: where a mention may be. */
function outsideLinks(text: string): string[] {
  const parts: string[] = [];
  let at = 0;
  for (const link of linksIn(text)) {
    parts.push(text.slice(at, link.index));
    at = link.lastIndex;
  }
  return [...parts, text.slice(at)];
}

/** The names `@mentioned` in these texts (outside links), to look up which are users; at most a page's worth. */
export function mentionedNames(texts: string[]): string[] {
  const names = new Set<string>();
  for (const text of texts) {
    if (!text.includes('@')) continue;
    for (const part of outsideLinks(text))
      for (const match of part.matchAll(MENTION)) if (names.size < MENTIONS_PER_PAGE) names.add(match[1]!);
  }
  return [...names];
}

/** Plain text, escaped, with the `@name`s of existing users as links to their pages. */
function withMentions(text: string, users: ReadonlySet<string>): string {
  if (users.size === 0 || !text.includes('@')) return escapeHtml(text);
  let html = '';
  let at = 0;
  for (const match of text.matchAll(MENTION)) {
    const name = match[1]!;
    if (!users.has(name)) continue;
    html += escapeHtml(text.slice(at, match.index));
    html += `<a href="${escapeHtml(userPath(name))}" class=mention>@${escapeHtml(name)}</a>`;
    at = match.index + match[0].length;
  }
  return html + escapeHtml(text.slice(at));
}

/**
 * A message's text as markup: escaped as everywhere else, with its http(s) addresses as links that pass
 * no ranking (`nofollow ugc`) and no access to this page (`noopener`), and the `@name`s of `users` (those
 * that exist) as links to their pages; a mention inside an address stays part of the address.
 */
export function messageMarkup(text: string, users: ReadonlySet<string> = new Set()): Html {
  let html = '';
  let at = 0;
  for (const link of linksIn(text)) {
    html += withMentions(text.slice(at, link.index), users);
    html += `<a href="${escapeHtml(link.url)}" rel="nofollow ugc noopener">${escapeHtml(link.raw)}</a>`;
    at = link.lastIndex;
  }
  return new Html(html + withMentions(text.slice(at), users));
}

const messageView = (m: TimelineMessage, users: ReadonlySet<string>): MessageView => ({
  username: m.username,
  profileUrl: userPath(m.username),
  avatarUrl: avatarUrl(m.username),
  text: messageMarkup(m.text, users),
  date: formatDate(m.pubDate),
  isoDate: m.pubDate.toISOString(),
  utcDate: `${m.pubDate.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
});

/**
 * A timeline's list of messages as markup: rendered once per page of a timeline and kept with it in the
 * read cache, so that a cached page costs the layout around it, not 30 messages' escaping again.
 * `users`: the mentioned names that are users (mentionedNames, looked up).
 */
const renderMessages = (messages: TimelineMessage[], users: ReadonlySet<string>): Html =>
  new Html(eta.render('messages', { messages: messages.map((m) => messageView(m, users)) }));

/**
 * The longest run of `messages` whose markup is at most `maxBytes` (UTF-8), rendered: from the first (the
 * newest), or with `keep: 'last'` from the last; at least one message (one is at most about 120 kB). Sized
 * one by one only when the whole list is over.
 */
export function renderMessagesWithin(
  messages: TimelineMessage[],
  maxBytes: number,
  users: ReadonlySet<string>,
  { keep }: { keep: 'first' | 'last' } = { keep: 'first' },
): { html: Html; shown: TimelineMessage[] } {
  const whole = renderMessages(messages, users);
  if (Buffer.byteLength(whole.html) <= maxBytes) return { html: whole, shown: messages };
  // Each alone, with the list's own markup around it: the sum is a little over the list's size, never under.
  let bytes = 0;
  let count = 0;
  for (const message of keep === 'first' ? messages : [...messages].reverse()) {
    bytes += Buffer.byteLength(renderMessages([message], users).html);
    if (bytes > maxBytes && count > 0) break;
    count++;
  }
  const shown = keep === 'first' ? messages.slice(0, count) : messages.slice(messages.length - count);
  return { html: renderMessages(shown, users), shown };
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

export const sendPage = (reply: FastifyReply, html: string | Buffer): FastifyReply =>
  reply.type('text/html; charset=utf-8').send(html);

/** An error page in the layout; it leaves the flashes for the next real page. */
export function renderErrorPage(
  reply: FastifyReply,
  status: number,
  message: string,
  user: Profile | undefined,
  returnTo?: string,
): FastifyReply {
  const title = STATUS_TITLES[status] ?? 'Error';
  const csrf = user ? reply.request.csrfToken() : undefined;
  const signInUrl = returnTo === undefined ? '/login' : signInPath(returnTo);
  const data = { title, status, message, user, signInUrl, flashes: [], ...ASSETS, csrfToken: csrf };
  const html = eta.render('error', data);
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/**
 * The sign-in form as a 401 page for a post made after the session ended: it holds the message, and
 * signing in shares it (account-routes.ts), then leads to the own timeline.
 */
export function renderSignInWithDraft(reply: FastifyReply, message: string, draft: string): FastifyReply {
  const data = {
    title: 'Sign In',
    user: undefined,
    notice: message,
    errors: {},
    form: { next: '/', draft },
    flashes: [],
    ...ASSETS,
    csrfToken: undefined,
  };
  return reply.code(401).type('text/html; charset=utf-8').send(eta.render('login', data));
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
