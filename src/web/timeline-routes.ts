// The timelines (GET /, /public, /<username>) and what changes them: add_message, follow, unfollow.
// Each route reads as the original's view: MiniTwit's action (src/minitwit.ts), then the page
// (views/timeline.eta) or a redirect with a flash.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pageKey, type ReadCache, type Scope } from '../caching/read-cache.js';
import type { Config } from '../config.js';
import { HttpError } from '../http/errors.js';
import { PerUserConcurrency } from '../http/per-user-concurrency.js';
import { LIMITS, NO_NUL, SINGLE_LINE } from '../http/input-rules.js';
import * as minitwit from '../minitwit.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import {
  mentionedNames,
  profileTitle,
  renderMessagesWithin,
  renderPage,
  renderSignedOutPage,
  userPath,
  type Html,
} from './pages.js';
import { flash, hasFlash } from './flashes.js';
import { signInPath } from './return-to.js';
import { SharedPage } from './shared-page.js';
import { sessionOf } from './sessions.js';

const PER_PAGE = 30;
/**
 * A page is at most 2 MiB (issue 18, item 7): 30 messages written as links were 3.5 MB. Its messages get
 * all but 64 KiB of it; the rest of the page (layout, form, flashes, a title of 200 characters) is far less.
 */
const PAGE_MAX_BYTES = 2 * 1024 * 1024;
const PAGE_MESSAGES_MAX_BYTES = PAGE_MAX_BYTES - 64 * 1024;
/** How many people an empty timeline suggests following. */
const SUGGESTIONS = 5;

const PageQuery = Type.Object({
  before: Type.Optional(Type.String({ maxLength: 200 })),
  after: Type.Optional(Type.String({ maxLength: 200 })),
});
// PostgreSQL text cannot hold NUL: refused here with a 400 rather than failing in the database.
const UsernameParams = Type.Object({ username: Type.String({ pattern: SINGLE_LINE }) });
// No maxLength: a text over the limit comes back in the composer with its error (the body limit bounds it).
const MessageForm = Type.Object({
  text: Type.String({ pattern: NO_NUL, default: '' }),
  /** The session's CSRF token (csrf.ts), a hidden field of the twitbox form. */
  csrf_token: Type.Optional(Type.String({ maxLength: 200 })),
});

/**
 * The page a link asks for: older than `before`, or newer than `after` (the links' cursors, cursor.ts).
 * One more row than shown is asked for: it tells whether there is a page beyond this one.
 */
function pageOf(query: { before?: string | undefined; after?: string | undefined }): minitwit.PageRequest {
  if (query.before !== undefined && query.after !== undefined)
    throw new HttpError(400, 'A page link has before= or after=, not both: go back to the first page.');
  return { limit: PER_PAGE + 1, before: decodeCursor(query.before), after: decodeCursor(query.after) };
}

/** A page's key in the read cache: pages after a cursor apart from those before one. */
const keyOf = (view: string, page: minitwit.PageRequest) =>
  page.after ? pageKey(`${view}-newer`, { limit: page.limit, before: page.after }) : pageKey(view, page);

/** A page that starts at a cursor is kept apart in the read cache: cursors cannot push out first pages. */
const atCursor = (page: minitwit.PageRequest) => ({
  older: page.before !== undefined || page.after !== undefined,
});

/** A page's messages as the template shows them, and what lies around it. */
interface PageView {
  messagesHtml: Html;
  empty: boolean;
  /** The page's authors, newest first, each once (whom an empty timeline suggests following). */
  authors: string[];
  /** The cursor of the next older page (`?before=`), if there is one. */
  older: string | undefined;
  /** The cursor of the next newer page (`?after=`); '' when that is the newest page (no cursor). */
  newer: string | undefined;
  /** Asked for as newer than a cursor, with no more newer than it shows: the newest page is the one to show. */
  atNewest: boolean;
}

/** The rows of a page (one more than shown, see pageOf) as its view; `users`: its mentions that are users. */
function pageViewOf(
  rows: minitwit.TimelineMessage[],
  page: minitwit.PageRequest,
  users: ReadonlySet<string>,
): PageView {
  const more = rows.length > PER_PAGE;
  // Newest first either way; after a cursor the extra row is the newest, before one the oldest.
  const rowsOnPage = page.after && more ? rows.slice(1) : rows.slice(0, PER_PAGE);
  // A page over its bytes keeps the messages nearest its cursor, so that the links skip none of the rest.
  const { html, shown } = renderMessagesWithin(rowsOnPage, PAGE_MESSAGES_MAX_BYTES, users, {
    keep: page.after ? 'last' : 'first',
  });
  const cut = shown.length < rowsOnPage.length;
  const first = shown[0];
  const last = shown.at(-1);
  const hasNewer = page.after ? more || cut : page.before !== undefined;
  return {
    messagesHtml: html,
    empty: shown.length === 0,
    authors: [...new Set(shown.map((m) => m.username))],
    older: last && (page.after || more || cut) ? encodeCursor(last) : undefined,
    newer: hasNewer ? (first && (page.after || page.before) ? encodeCursor(first) : '') : undefined,
    atNewest: page.after !== undefined && !more && !cut,
  };
}

const pageView = (path: string, page: PageView) => ({
  messagesHtml: page.messagesHtml,
  empty: page.empty,
  olderUrl: page.older === undefined ? undefined : `${path}?before=${page.older}`,
  newerUrl: page.newer === undefined ? undefined : page.newer === '' ? path : `${path}?after=${page.newer}`,
});

/**
 * Signed out, with no flash waiting, a timeline's first pages (not those asked for as newer than a
 * cursor, which may send to the newest instead) are the same for every reader: kept whole in the read
 * cache, and a cached read renders nothing.
 */
const signedOutReader = (
  request: FastifyRequest,
  user: minitwit.Profile | undefined,
  page: minitwit.PageRequest,
) => !user && !hasFlash(request) && page.after === undefined;

const PUBLIC_HEADING = { title: 'Public Timeline', path: '/public' };

/** A whole signed-out timeline page: its title and path, and its view (compressed once, when asked for). */
const wholePage = (heading: { title: string | Html; path: string; counts?: FollowCounts }, view: PageView) =>
  new SharedPage(renderSignedOutPage('timeline', { ...heading, ...pageView(heading.path, view) }));

interface FollowCounts {
  followers: number;
  following: number;
}

/** Signing in is needed first; the 401 page's sign-in link brings the person back to `returnTo`. */
export class SignInRequired extends HttpError {
  override name = 'SignInRequired';
  constructor(
    readonly returnTo: string,
    /** A message that was being posted: the 401 page holds it, and signing in there shares it. */
    readonly draft?: string,
  ) {
    super(401, 'You have to sign in to do that.');
  }
}

async function requireUser(request: FastifyRequest, returnTo: string): Promise<minitwit.Profile> {
  const user = await request.currentUser();
  if (!user) throw new SignInRequired(returnTo);
  return user;
}

/**
 * A personal timeline costs one index probe per followed user (up to FOLLOW_LIMIT): one user's requests
 * for it run two at a time per process, so that a user who follows thousands and reloads in a loop
 * holds at most two of the pool's connections, not all of them.
 */
const TIMELINE_READS_PER_USER = 2;

export const timelineRoutes: FastifyPluginAsyncTypebox<{
  ctx: minitwit.Context;
  cache: ReadCache;
  config: Pick<Config, 'followLimit'>;
}> = async (app, { ctx, cache, config }) => {
  const timelineReads = new PerUserConcurrency(TIMELINE_READS_PER_USER);

  /** A page's view: its rows rendered, with the mentions that name users as links. */
  const viewOf = async (rows: minitwit.TimelineMessage[], page: minitwit.PageRequest) => {
    const mentioned = mentionedNames(rows.slice(0, PER_PAGE + 1).map((m) => m.text));
    return pageViewOf(rows, page, await minitwit.existingUsernames(ctx, mentioned));
  };

  /**
   * A page's view, kept in the read cache; read fresh (and not kept) while the browser holds a flash: it
   * has just written (posted, followed) and must see that at once, whichever replica serves it.
   */
  const cachedView = <View>(
    request: FastifyRequest,
    scope: Scope,
    page: minitwit.PageRequest,
    load: () => Promise<View>,
  ) => cache.read(scope, keyOf('web', page), load, { bypass: hasFlash(request), ...atCursor(page) });

  /** The public timeline's newest page, as signed-in readers share it. */
  const publicView = (request: FastifyRequest, page: minitwit.PageRequest) =>
    cachedView(request, 'public', page, async () => viewOf(await minitwit.publicTimeline(ctx, page), page));

  /** Whom an empty timeline suggests following: the latest authors on the public timeline. */
  const suggestions = async (request: FastifyRequest, user: minitwit.Profile) => {
    const latest = await publicView(request, pageOf({}));
    return latest.authors
      .filter((name) => name !== user.username)
      .slice(0, SUGGESTIONS)
      .map((name) => ({ name, url: userPath(name) }));
  };

  /**
   * My timeline, with the composer; `draft`: a post that was refused, back in the composer with its error.
   */
  async function myTimeline(
    request: FastifyRequest,
    reply: FastifyReply,
    user: minitwit.Profile,
    page: minitwit.PageRequest,
    draft?: { text: string; error: string },
  ) {
    const view = await timelineReads.run(user.userId, () =>
      cachedView(request, `personal:${user.userId}`, page, async () =>
        viewOf(await minitwit.personalTimeline(ctx, user, page), page),
      ),
    );
    if (view.atNewest) return reply.redirect('/');
    const firstPage = !page.before && !page.after;
    return renderPage(request, reply, 'timeline', {
      title: 'My Timeline',
      user,
      twitbox: true,
      draft,
      suggestions: view.empty && firstPage ? await suggestions(request, user) : undefined,
      ...pageView('/', view),
    });
  }

  /** My timeline: my messages and those of everyone I follow; signed out, the public one. */
  app.get('/', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const user = await request.currentUser();
    // Signed out, the original's public timeline; a session that has just ended signs in again, to come back.
    if (!user) return reply.redirect(sessionOf(request).ended ? signInPath('/') : '/public');
    return myTimeline(request, reply, user, pageOf(request.query));
  });

  /** Everyone's latest messages. */
  app.get('/public', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const user = await request.currentUser();
    const page = pageOf(request.query);
    if (signedOutReader(request, user, page)) {
      const whole = async () =>
        wholePage(PUBLIC_HEADING, await viewOf(await minitwit.publicTimeline(ctx, page), page));
      return (await cache.read('public', keyOf('web-page', page), whole, atCursor(page))).send(
        request,
        reply,
      );
    }
    const view = await publicView(request, page);
    if (view.atNewest) return reply.redirect(PUBLIC_HEADING.path);
    return renderPage(request, reply, 'timeline', {
      title: PUBLIC_HEADING.title,
      user,
      ...pageView(PUBLIC_HEADING.path, view),
    });
  });

  /** One user's messages, how many follow them and whom they follow, and whether I follow them. */
  app.get(
    '/:username',
    { schema: { params: UsernameParams, querystring: PageQuery } },
    async (request, reply) => {
      const user = await request.currentUser();
      const profile = await minitwit.profileOf(ctx, request.params.username);
      const page = pageOf(request.query);
      // The counts are kept with the page: a follow elsewhere shows within the cache's expiry (1 s); the
      // follower, redirected here with a flash, reads them fresh.
      const load = async () => {
        const [rows, counts] = await Promise.all([
          minitwit.userTimeline(ctx, profile, page),
          minitwit.followCounts(ctx, profile),
        ]);
        return { view: await viewOf(rows, page), counts };
      };
      const scope = `author:${profile.userId}` as const;
      const url = userPath(profile.username);
      const title = profileTitle(profile.username);
      if (signedOutReader(request, user, page)) {
        const whole = async () => {
          const { view, counts } = await load();
          return wholePage({ title, path: url, counts }, view);
        };
        return (await cache.read(scope, keyOf('web-page', page), whole, atCursor(page))).send(request, reply);
      }
      const [followed, { view, counts }] = await Promise.all([
        user ? minitwit.isFollowing(ctx, user, profile) : false,
        cachedView(request, scope, page, load),
      ]);
      if (view.atNewest) return reply.redirect(url);
      return renderPage(request, reply, 'timeline', {
        title,
        user,
        profile: { userId: profile.userId, url, username: profile.username },
        followed,
        counts,
        ...pageView(url, view),
      });
    },
  );

  // Follow and unfollow are GETs, as in the original (the course's tests use them); the CSRF hooks guard
  // them like POSTs (their links carry the session's token), and no HEAD route is made for them.
  const changesState = { config: { changesState: true, needsSessionToken: true }, exposeHeadRoute: false };

  app.get(
    '/:username/follow',
    { ...changesState, schema: { params: UsernameParams } },
    async (request, reply) => {
      const user = await requireUser(request, userPath(request.params.username));
      try {
        const whom = await minitwit.follow(ctx, user, request.params.username, config.followLimit);
        flash(request, reply, `You are now following "${whom.username}"`);
        return reply.redirect(userPath(whom.username));
      } catch (error) {
        if (!(error instanceof minitwit.FollowLimitError)) throw error;
        flash(request, reply, error.message);
        return reply.redirect(userPath(request.params.username));
      }
    },
  );

  app.get(
    '/:username/unfollow',
    { ...changesState, schema: { params: UsernameParams } },
    async (request, reply) => {
      const user = await requireUser(request, userPath(request.params.username));
      const whom = await minitwit.unfollow(ctx, user, request.params.username);
      flash(request, reply, `You are no longer following "${whom.username}"`);
      return reply.redirect(userPath(whom.username));
    },
  );

  /**
   * Posts a message as the signed-in user. One that cannot be posted (empty, as the original ignored it, or
   * too long) comes back in the composer, every character as sent, with the reason beside it (a 400).
   */
  app.post(
    '/add_message',
    { config: { needsSessionToken: true }, schema: { body: MessageForm } },
    async (request, reply) => {
      const { text } = request.body;
      const user = await request.currentUser();
      // The session ended while the message was written: nothing is lost, signing in shares it.
      if (!user) throw new SignInRequired('/', text);
      const refused = (error: string) => {
        reply.code(400);
        return myTimeline(request, reply, user, pageOf({}), { text, error });
      };
      const length = [...text].length;
      if (length > LIMITS.message)
        return refused(
          `Your message is ${length.toLocaleString('en')} characters long: the limit is ${LIMITS.message.toLocaleString('en')}. Shorten it and share it again.`,
        );
      try {
        await minitwit.postMessage(ctx, user, text);
      } catch (error) {
        if (!(error instanceof minitwit.RuleError)) throw error;
        return refused('Your message is empty: write something to share.');
      }
      flash(request, reply, 'Your message was recorded');
      return reply.redirect('/');
    },
  );
};
