// The timelines (GET /, /public, /<username>) and what changes them: add_message, follow, unfollow.
// Each route reads as the original's view: MiniTwit's action (src/minitwit.ts), then the page
// (views/timeline.eta) or a redirect with a flash.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { pageKey, type ReadCache, type Scope } from '../caching/read-cache.js';
import type { Config } from '../config.js';
import { HttpError } from '../http/errors.js';
import { PerUserConcurrency } from '../http/per-user-concurrency.js';
import { LIMITS, NO_NUL, SINGLE_LINE } from '../http/input-rules.js';
import * as minitwit from '../minitwit.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import {
  profileTitle,
  renderMessagesWithin,
  renderPage,
  renderSignedOutPage,
  sendPage,
  userPath,
  type Html,
} from './pages.js';
import { flash, hasFlash } from './flashes.js';

const PER_PAGE = 30;
/**
 * A page is at most 2 MiB (issue 18, item 7): 30 messages written as links were 3.5 MB. Its messages get
 * all but 64 KiB of it; the rest of the page (layout, form, flashes, a title of 200 characters) is far less.
 */
const PAGE_MAX_BYTES = 2 * 1024 * 1024;
const PAGE_MESSAGES_MAX_BYTES = PAGE_MAX_BYTES - 64 * 1024;

const PageQuery = Type.Object({ before: Type.Optional(Type.String({ maxLength: 200 })) });
// PostgreSQL text cannot hold NUL: refused here with a 400 rather than failing in the database.
const UsernameParams = Type.Object({ username: Type.String({ pattern: SINGLE_LINE }) });
const MessageForm = Type.Object({
  text: Type.String({ maxLength: LIMITS.message, pattern: NO_NUL, default: '' }),
  /** The session's CSRF token (csrf.ts), a hidden field of the twitbox form. */
  csrf_token: Type.Optional(Type.String({ maxLength: 200 })),
});

/** One more row than shown is asked for: it tells whether an "Older messages" link is needed. */
const pageOf = (before: string | undefined): minitwit.PageRequest => ({
  limit: PER_PAGE + 1,
  before: decodeCursor(before),
});

/** A page that starts at a cursor is kept apart in the read cache: cursors cannot push out first pages. */
const olderPage = (page: minitwit.PageRequest) => ({ older: page.before !== undefined });

/** A page's messages as the template shows them, and the cursor of the next page if there is one. */
interface PageView {
  messagesHtml: Html;
  older: string | undefined;
}

const pageViewOf = (rows: minitwit.TimelineMessage[]): PageView => {
  const { html, shown } = renderMessagesWithin(rows.slice(0, PER_PAGE), PAGE_MESSAGES_MAX_BYTES);
  return {
    messagesHtml: html,
    // A page cut by its bytes goes on from its last message, as one cut at PER_PAGE does.
    older: rows.length > shown.length ? encodeCursor(shown.at(-1)!) : undefined,
  };
};

const pageView = (path: string, page: PageView) => ({
  messagesHtml: page.messagesHtml,
  olderUrl: page.older === undefined ? undefined : `${path}?before=${page.older}`,
});

/**
 * Signed out, with no flash waiting, a timeline's page is the same for every reader: it is kept whole in
 * the read cache, and a cached read renders nothing.
 */
const signedOutReader = (request: FastifyRequest, user: minitwit.Profile | undefined) =>
  !user && !hasFlash(request);

const PUBLIC_HEADING = { title: 'Public Timeline', path: '/public' };

/** A whole signed-out timeline page: its title and path, and its rows. */
const wholePage = (heading: { title: string | Html; path: string }, rows: minitwit.TimelineMessage[]) =>
  renderSignedOutPage('timeline', { ...heading, ...pageView(heading.path, pageViewOf(rows)) });

async function requireUser(request: FastifyRequest): Promise<minitwit.Profile> {
  const user = await request.currentUser();
  if (!user) throw new HttpError(401, 'You have to sign in to do that.');
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
  /**
   * A page's view, kept in the read cache; read fresh (and not kept) while the browser holds a flash: it
   * has just written (posted, followed) and must see that at once, whichever replica serves it.
   */
  const cachedView = (
    request: FastifyRequest,
    scope: Scope,
    page: minitwit.PageRequest,
    load: () => Promise<minitwit.TimelineMessage[]>,
  ) =>
    cache.read(scope, pageKey('web', page), async () => pageViewOf(await load()), {
      bypass: hasFlash(request),
      ...olderPage(page),
    });

  /** My timeline: my messages and those of everyone I follow; signed out, the public one. */
  app.get('/', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const user = await request.currentUser();
    if (!user) return reply.redirect('/public');
    const page = pageOf(request.query.before);
    const rows = await timelineReads.run(user.userId, () =>
      cachedView(request, `personal:${user.userId}`, page, () => minitwit.personalTimeline(ctx, user, page)),
    );
    return renderPage(request, reply, 'timeline', {
      title: 'My Timeline',
      user,
      twitbox: true,
      ...pageView('/', rows),
    });
  });

  /** Everyone's latest messages. */
  app.get('/public', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const user = await request.currentUser();
    const page = pageOf(request.query.before);
    const load = () => minitwit.publicTimeline(ctx, page);
    if (signedOutReader(request, user)) {
      const whole = async () => wholePage(PUBLIC_HEADING, await load());
      return sendPage(reply, await cache.read('public', pageKey('web-page', page), whole, olderPage(page)));
    }
    const rows = await cachedView(request, 'public', page, load);
    return renderPage(request, reply, 'timeline', {
      title: PUBLIC_HEADING.title,
      user,
      ...pageView(PUBLIC_HEADING.path, rows),
    });
  });

  /** One user's messages, and whether I follow them. */
  app.get(
    '/:username',
    { schema: { params: UsernameParams, querystring: PageQuery } },
    async (request, reply) => {
      const user = await request.currentUser();
      const profile = await minitwit.profileOf(ctx, request.params.username);
      const page = pageOf(request.query.before);
      const load = () => minitwit.userTimeline(ctx, profile, page);
      const scope = `author:${profile.userId}` as const;
      const url = userPath(profile.username);
      const title = profileTitle(profile.username);
      if (signedOutReader(request, user)) {
        const whole = async () => wholePage({ title, path: url }, await load());
        return sendPage(reply, await cache.read(scope, pageKey('web-page', page), whole, olderPage(page)));
      }
      const [followed, rows] = await Promise.all([
        user ? minitwit.isFollowing(ctx, user, profile) : false,
        cachedView(request, scope, page, load),
      ]);
      return renderPage(request, reply, 'timeline', {
        title,
        user,
        profile: { userId: profile.userId, url },
        followed,
        ...pageView(url, rows),
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
      const user = await requireUser(request);
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
      const user = await requireUser(request);
      const whom = await minitwit.unfollow(ctx, user, request.params.username);
      flash(request, reply, `You are no longer following "${whom.username}"`);
      return reply.redirect(userPath(whom.username));
    },
  );

  /** Posts a message as the signed-in user; an empty one is ignored, as in the original. */
  app.post(
    '/add_message',
    { config: { needsSessionToken: true }, schema: { body: MessageForm } },
    async (request, reply) => {
      const user = await requireUser(request);
      try {
        await minitwit.postMessage(ctx, user, request.body.text);
        flash(request, reply, 'Your message was recorded');
      } catch (error) {
        if (!(error instanceof minitwit.RuleError)) throw error;
      }
      return reply.redirect('/');
    },
  );
};
