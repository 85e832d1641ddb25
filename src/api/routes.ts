// The simulator API, route by route, as the course's simulator drives it (see README: Simulator API).
// Each route parses, calls one of MiniTwit's actions (src/minitwit.ts) and shapes the reply.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { AbuseLimits } from '../abuse-limits.js';
import { pageKey, type ReadCache } from '../caching/read-cache.js';
import type { Config } from '../config.js';
import { simulatorCredentials } from './simulator/credentials.js';
import type { Database } from '../db/index.js';
import { HttpError } from '../http/errors.js';
import { jsonListWithin, TRUNCATED_HEADER } from '../http/reply-size.js';
import * as minitwit from '../minitwit.js';
import * as S from './schemas.js';
import { simulatorGuard } from './simulator/guard.js';
import { simulatorLatest, withLatest } from './simulator/latest.js';

export interface SimulatorRoutesOptions {
  db: Database;
  cache: ReadCache;
  config: Config;
  limits: AbuseLimits;
}

/** What `{"follows":[...]}` adds around the list of names. */
const FOLLOWS_WRAPPER_BYTES = Buffer.byteLength('{"follows":}');

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, S.ErrorReply]));
const noContent = { 204: Type.Null({ description: 'Done; empty body' }) };

const toApiMessage = (m: minitwit.TimelineMessage) => ({
  content: m.text,
  pub_date: Math.floor(m.pubDate.getTime() / 1000),
  user: m.username,
});

/** A list as its reply: the JSON, serialised once and then served from the read cache, and whether it was cut. */
interface SerialisedList {
  body: string;
  truncated: boolean;
}

/**
 * Sends a list as it is (Fastify does not serialise a string again; the schema still documents it), marked
 * when it was cut to the byte cap.
 */
const sendSerialised = (reply: FastifyReply, list: SerialisedList) => {
  if (list.truncated) reply.header(TRUNCATED_HEADER, 'true');
  return reply.type('application/json; charset=utf-8').send(list.body);
};

export const simulatorRoutes: FastifyPluginAsyncTypebox<SimulatorRoutesOptions> = async (
  app,
  { db, cache, config, limits },
) => {
  const ctx: minitwit.Context = { db, cache, source: 'api' };
  await app.register(simulatorGuard, {
    credentials: simulatorCredentials(config),
  });
  await app.register(simulatorLatest, { db });
  // However many items `no` asks for, a reply holds at most API_LIST_MAX: its size and the work behind
  // it stay bounded (1,000 messages of 10,000 characters are already tens of megabytes).
  // And at most API_REPLY_MAX_BYTES: a list stops at its last whole item within it (the database is not asked
  // for the texts past it), and says so.
  const maxBytes = config.apiReplyMaxBytes;
  const pageOf = (no: number) => ({ limit: Math.min(no, config.apiListMax), maxTextBytes: maxBytes });
  /**
   * A list as the reply's bytes. JSON.stringify of exactly the schema's fields (S.MessageList) gives what
   * the schema's serialiser would.
   */
  const serialised = (rows: minitwit.TimelineMessage[]): SerialisedList => {
    const { json, truncated } = jsonListWithin(rows.map(toApiMessage), maxBytes);
    return { body: json, truncated };
  };

  app.post(
    '/register',
    {
      config: { needsCredentials: false },
      schema: {
        summary:
          'Register a user (no credentials needed, as in the reference; without them, the abuse limits on sign-ups apply)',
        querystring: S.LatestQuery,
        body: S.RegisterBody,
        response: { ...noContent, ...errors(400, 413, 429) },
      },
    },
    async (request, reply) => {
      const { username, email, pwd } = request.body;
      const attempt = request.fromSimulator ? undefined : { limits, client: request.ip };
      await minitwit.register(ctx, { username, email, password: pwd }, attempt);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/msgs',
    {
      schema: {
        summary: 'The newest unflagged messages of all users',
        querystring: S.ListQuery,
        response: { 200: S.MessageList, ...errors(400, 403) },
      },
    },
    async (request, reply) => {
      const page = pageOf(request.query.no);
      const load = async () => serialised(await minitwit.publicTimeline(ctx, page));
      return sendSerialised(reply, await cache.read('public', pageKey('api', page), load));
    },
  );

  app.get(
    '/msgs/:username',
    {
      schema: {
        summary: "One user's newest unflagged messages",
        params: S.UsernameParams,
        querystring: S.ListQuery,
        response: { 200: S.MessageList, ...errors(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const page = pageOf(request.query.no);
      const author = await minitwit.profileOf(ctx, request.params.username);
      const load = async () => serialised(await minitwit.userTimeline(ctx, author, page));
      return sendSerialised(reply, await cache.read(`author:${author.userId}`, pageKey('api', page), load));
    },
  );

  app.post(
    '/msgs/:username',
    {
      config: { latest: 'with-write' },
      schema: {
        summary: 'Post a message as that user, now',
        params: S.UsernameParams,
        querystring: S.LatestQuery,
        body: S.PostMessageBody,
        response: { ...noContent, ...errors(400, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const author = { username: request.params.username };
      await withLatest(request, (latest) => minitwit.postMessage(ctx, author, request.body.content, latest));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/fllws/:username',
    {
      schema: {
        summary: 'Whom that user follows',
        params: S.UsernameParams,
        querystring: S.ListQuery,
        response: { 200: S.FollowsReply, ...errors(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const who = await minitwit.profileOf(ctx, request.params.username);
      const { limit } = pageOf(request.query.no);
      const load = async () => {
        const names = await minitwit.followedNames(ctx, who, limit);
        const { items, truncated } = jsonListWithin(names, maxBytes - FOLLOWS_WRAPPER_BYTES);
        return { items, truncated };
      };
      const { items, truncated } = await cache.read(`follows:${who.userId}`, `${limit}`, load);
      if (truncated) reply.header(TRUNCATED_HEADER, 'true');
      return { follows: items };
    },
  );

  app.post(
    '/fllws/:username',
    {
      config: { latest: 'with-write' },
      schema: {
        summary: 'Follow or unfollow a user; repeating either changes nothing',
        params: S.UsernameParams,
        querystring: S.LatestQuery,
        body: S.FollowBody,
        response: { ...noContent, ...errors(400, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const who = { username: request.params.username };
      const { follow, unfollow } = request.body;
      // With both, `follow` wins, as in the reference.
      if (follow !== undefined)
        await withLatest(request, (latest) => minitwit.follow(ctx, who, follow, config.followLimit, latest));
      else if (unfollow !== undefined)
        await withLatest(request, (latest) => minitwit.unfollow(ctx, who, unfollow, latest));
      else throw new HttpError(400, 'body must have a "follow" or an "unfollow" field');
      return reply.code(204).send(null);
    },
  );
};
