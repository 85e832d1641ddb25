// The timelines (GET /, /public, /<username>) and what changes them: add_message, follow, unfollow.
// Each route reads as the original's view; the SQL is in src/data, the markup in views/timeline.eta.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { follow, isFollowing, unfollow } from '../data/follows.js';
import {
  insertMessage,
  personalTimeline,
  publicTimeline,
  userTimeline,
  type PageRequest,
  type TimelineMessage,
} from '../data/messages.js';
import { findUserByName } from '../data/users.js';
import type { Database } from '../db/index.js';
import { HttpError } from '../http/errors.js';
import { LIMITS, NO_NUL, SINGLE_LINE } from '../http/input-rules.js';
import { countBusinessEvent } from '../observability/metrics.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { messageView, profileTitle, renderPage, userPath } from './pages.js';
import { currentUser, flash, type SessionUser } from './session.js';

const PER_PAGE = 30;

const PageQuery = Type.Object({ before: Type.Optional(Type.String({ maxLength: 200 })) });
// PostgreSQL text cannot hold NUL: refused here with a 400 rather than failing in the database.
const UsernameParams = Type.Object({ username: Type.String({ pattern: SINGLE_LINE }) });
const MessageForm = Type.Object({
  text: Type.String({ maxLength: LIMITS.message, pattern: NO_NUL, default: '' }),
});

/** A page of a timeline: one more row than shown tells whether an "Older messages" link is needed. */
async function readPage(
  path: string,
  before: string | undefined,
  query: (page: PageRequest) => Promise<TimelineMessage[]>,
) {
  const rows = await query({ limit: PER_PAGE + 1, before: decodeCursor(before) });
  const shown = rows.slice(0, PER_PAGE);
  const olderUrl = rows.length > PER_PAGE ? `${path}?before=${encodeCursor(shown.at(-1)!)}` : undefined;
  return { messages: shown.map(messageView), olderUrl };
}

async function requireUser(db: Database, request: FastifyRequest): Promise<SessionUser> {
  const user = await currentUser(db, request);
  if (!user) throw new HttpError(401, 'You have to sign in to do that.');
  return user;
}

async function requireProfile(db: Database, username: string) {
  const profile = await findUserByName(db, username);
  if (!profile) throw new HttpError(404, `There is no user called "${username}".`);
  return profile;
}

export const timelineRoutes: FastifyPluginAsyncTypebox<{ db: Database }> = async (app, { db }) => {
  /** My timeline: my messages and those of everyone I follow; signed out, the public one. */
  app.get('/', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const user = await currentUser(db, request);
    if (!user) return reply.redirect('/public');
    const page = await readPage('/', request.query.before, (p) => personalTimeline(db, user.userId, p));
    return renderPage(request, reply, 'timeline', { title: 'My Timeline', user, twitbox: true, ...page });
  });

  /** Everyone's latest messages. */
  app.get('/public', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const user = await currentUser(db, request);
    const page = await readPage('/public', request.query.before, (p) => publicTimeline(db, p));
    return renderPage(request, reply, 'timeline', { title: 'Public Timeline', user, ...page });
  });

  /** One user's messages, and whether I follow them. */
  app.get(
    '/:username',
    { schema: { params: UsernameParams, querystring: PageQuery } },
    async (request, reply) => {
      const profileUser = await requireProfile(db, request.params.username);
      const user = await currentUser(db, request);
      const followed = user ? await isFollowing(db, user.userId, profileUser.userId) : false;
      const page = await readPage(userPath(profileUser.username), request.query.before, (p) =>
        userTimeline(db, profileUser.userId, p),
      );
      const profile = { userId: profileUser.userId, url: userPath(profileUser.username) };
      const title = profileTitle(profileUser.username);
      return renderPage(request, reply, 'timeline', { title, user, profile, followed, ...page });
    },
  );

  // Follow and unfollow are GETs, as in the original (the course's tests use them); the CSRF hook guards
  // them like POSTs, and no HEAD route is made for them.
  const changesState = { config: { changesState: true }, exposeHeadRoute: false };

  app.get(
    '/:username/follow',
    { ...changesState, schema: { params: UsernameParams } },
    async (request, reply) => followOrUnfollow(request, reply, request.params.username, 'follow'),
  );

  app.get(
    '/:username/unfollow',
    { ...changesState, schema: { params: UsernameParams } },
    async (request, reply) => followOrUnfollow(request, reply, request.params.username, 'unfollow'),
  );

  async function followOrUnfollow(
    request: FastifyRequest,
    reply: FastifyReply,
    username: string,
    action: 'follow' | 'unfollow',
  ) {
    const user = await requireUser(db, request);
    const whom = await requireProfile(db, username);
    if (action === 'follow') {
      if (await follow(db, user.userId, whom.userId)) countBusinessEvent('followed', 'web');
      flash(request, reply, `You are now following "${whom.username}"`);
    } else {
      if (await unfollow(db, user.userId, whom.userId)) countBusinessEvent('unfollowed', 'web');
      flash(request, reply, `You are no longer following "${whom.username}"`);
    }
    return reply.redirect(userPath(whom.username));
  }

  /** Posts a message as the signed-in user; an empty one is ignored, as in the original. */
  app.post('/add_message', { schema: { body: MessageForm } }, async (request, reply) => {
    const user = await requireUser(db, request);
    if (request.body.text) {
      await insertMessage(db, user.userId, request.body.text);
      countBusinessEvent('message_posted', 'web');
      flash(request, reply, 'Your message was recorded');
    }
    return reply.redirect('/');
  });
};
