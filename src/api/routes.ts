// The simulator API, route by route, as the course's simulator drives it (see README: Simulator API).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { registerUser } from '../accounts/accounts.js';
import type { Config } from '../config.js';
import { follow, listFollowedNames, unfollow } from '../data/follows.js';
import { insertMessage, publicTimeline, userTimeline, type TimelineMessage } from '../data/messages.js';
import { readLatest } from '../data/simulator.js';
import { findUserIdByName } from '../data/users.js';
import type { Database, Queryable } from '../db/index.js';
import { HttpError } from '../http/errors.js';
import { countBusinessEvent } from '../observability/metrics.js';
import * as S from './schemas.js';
import { recordLatestHook, requireSimulatorHook } from './simulator-guard.js';

export interface SimulatorRoutesOptions {
  db: Database;
  config: Config;
}

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, S.ErrorReply]));
const noContent = { 204: Type.Null({ description: 'Done; empty body' }) };

async function requireUserId(db: Queryable, username: string): Promise<number> {
  const userId = await findUserIdByName(db, username);
  if (userId === undefined) throw new HttpError(404, `Unknown user: ${username}`);
  return userId;
}

const toApiMessage = (m: TimelineMessage) => ({
  content: m.text,
  pub_date: Math.floor(m.pubDate.getTime() / 1000),
  user: m.username,
});

export const simulatorRoutes: FastifyPluginAsyncTypebox<SimulatorRoutesOptions> = async (
  app,
  { db, config },
) => {
  const latest = recordLatestHook(db);
  const simulatorOnly = [latest, requireSimulatorHook(config.simulator)];

  app.get(
    '/latest',
    { schema: { summary: "The simulator's latest recorded action id", response: { 200: S.LatestReply } } },
    async () => ({ latest: await readLatest(db) }),
  );

  app.post(
    '/register',
    {
      onRequest: latest,
      schema: {
        summary: 'Register a user (no credentials needed, as in the reference)',
        querystring: S.LatestQuery,
        body: S.RegisterBody,
        response: { ...noContent, ...errors(400, 413) },
      },
    },
    async (request, reply) => {
      const { username, email, pwd } = request.body;
      const result = await registerUser(db, { username, email, password: pwd });
      if (!result.ok) throw new HttpError(400, result.error);
      countBusinessEvent('user_registered', 'api');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/msgs',
    {
      onRequest: simulatorOnly,
      schema: {
        summary: 'The newest unflagged messages of all users',
        querystring: S.ListQuery,
        response: { 200: S.MessageList, ...errors(400, 403) },
      },
    },
    async (request) => (await publicTimeline(db, { limit: request.query.no })).map(toApiMessage),
  );

  app.get(
    '/msgs/:username',
    {
      onRequest: simulatorOnly,
      schema: {
        summary: "One user's newest unflagged messages",
        params: S.UsernameParams,
        querystring: S.ListQuery,
        response: { 200: S.MessageList, ...errors(400, 403, 404) },
      },
    },
    async (request) => {
      const userId = await requireUserId(db, request.params.username);
      return (await userTimeline(db, userId, { limit: request.query.no })).map(toApiMessage);
    },
  );

  app.post(
    '/msgs/:username',
    {
      onRequest: simulatorOnly,
      schema: {
        summary: 'Post a message as that user, now',
        params: S.UsernameParams,
        querystring: S.LatestQuery,
        body: S.PostMessageBody,
        response: { ...noContent, ...errors(400, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const userId = await requireUserId(db, request.params.username);
      // The original stores an empty message from the API; a message needs text, so it is a 400 here.
      if (request.body.content.length === 0) throw new HttpError(400, 'body/content must not be empty');
      await insertMessage(db, userId, request.body.content);
      countBusinessEvent('message_posted', 'api');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/fllws/:username',
    {
      onRequest: simulatorOnly,
      schema: {
        summary: 'Whom that user follows',
        params: S.UsernameParams,
        querystring: S.ListQuery,
        response: { 200: S.FollowsReply, ...errors(400, 403, 404) },
      },
    },
    async (request) => {
      const userId = await requireUserId(db, request.params.username);
      return { follows: await listFollowedNames(db, userId, request.query.no) };
    },
  );

  app.post(
    '/fllws/:username',
    {
      onRequest: simulatorOnly,
      schema: {
        summary: 'Follow or unfollow a user; repeating either changes nothing',
        params: S.UsernameParams,
        querystring: S.LatestQuery,
        body: S.FollowBody,
        response: { ...noContent, ...errors(400, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const { follow: toFollow, unfollow: toUnfollow } = request.body;
      const target = toFollow ?? toUnfollow;
      const userId = await requireUserId(db, request.params.username);
      if (target === undefined) throw new HttpError(400, 'body must have a "follow" or an "unfollow" field');
      const targetId = await requireUserId(db, target);
      if (toFollow !== undefined) {
        if (await follow(db, userId, targetId)) countBusinessEvent('followed', 'api');
      } else if (await unfollow(db, userId, targetId)) {
        countBusinessEvent('unfollowed', 'api');
      }
      return reply.code(204).send(null);
    },
  );
};
