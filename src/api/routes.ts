// The simulator API, route by route, as the course's simulator drives it (see README: Simulator API).
// Each route parses, calls one of MiniTwit's actions (src/minitwit.ts) and shapes the reply.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { AbuseLimits } from '../abuse-limits.js';
import type { Config } from '../config.js';
import { readLatest } from '../data/simulator.js';
import type { Queryable } from '../db/index.js';
import { HttpError } from '../http/errors.js';
import * as minitwit from '../minitwit.js';
import * as S from './schemas.js';
import { simulatorGuard } from './simulator-guard.js';

export interface SimulatorRoutesOptions {
  db: Queryable;
  config: Config;
  limits: AbuseLimits;
}

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, S.ErrorReply]));
const noContent = { 204: Type.Null({ description: 'Done; empty body' }) };

const toApiMessage = (m: minitwit.TimelineMessage) => ({
  content: m.text,
  pub_date: Math.floor(m.pubDate.getTime() / 1000),
  user: m.username,
});

/**
 * A list as the reply's bytes, serialised once and then served from the read cache. JSON.stringify of
 * exactly the schema's fields (S.MessageList) gives what the schema's serialiser would.
 */
const apiList: minitwit.TimelineShape<string> = {
  name: 'api',
  shape: (rows) => JSON.stringify(rows.map(toApiMessage)),
};
/** Sends serialised JSON as it is (Fastify does not serialise a string again; the schema still documents it). */
const sendSerialised = (reply: FastifyReply, body: string) =>
  reply.type('application/json; charset=utf-8').send(body);

export const simulatorRoutes: FastifyPluginAsyncTypebox<SimulatorRoutesOptions> = async (
  app,
  { db, config, limits },
) => {
  await app.register(simulatorGuard, { db, credentials: config.simulator });
  // However many items `no` asks for, a reply holds at most API_LIST_MAX: its size and the work behind
  // it stay bounded (1,000 messages of 10,000 characters are already tens of megabytes).
  const listSize = (no: number) => Math.min(no, config.apiListMax);

  app.get(
    '/latest',
    {
      config: { simulator: { recordsLatest: false, needsCredentials: false } },
      schema: { summary: "The simulator's latest recorded action id", response: { 200: S.LatestReply } },
    },
    async () => ({ latest: await readLatest(db) }),
  );

  app.post(
    '/register',
    {
      config: { simulator: { needsCredentials: false } },
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
      await minitwit.register(db, 'api', { username, email, password: pwd }, attempt);
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
    async (request, reply) =>
      sendSerialised(
        reply,
        await minitwit.publicTimelineAs(db, { limit: listSize(request.query.no) }, apiList),
      ),
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
      const page = { limit: listSize(request.query.no) };
      const { messages } = await minitwit.userTimelineAs(db, request.params.username, page, apiList);
      return sendSerialised(reply, messages);
    },
  );

  app.post(
    '/msgs/:username',
    {
      config: { simulator: { latestWithWrite: true } },
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
      await minitwit.postMessage(db, 'api', author, request.body.content, request.latest);
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
    async (request) => ({
      follows: await minitwit.followedNames(
        db,
        { username: request.params.username },
        listSize(request.query.no),
      ),
    }),
  );

  app.post(
    '/fllws/:username',
    {
      config: { simulator: { latestWithWrite: true } },
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
      if (follow !== undefined) await minitwit.follow(db, 'api', who, follow, config, request.latest);
      else if (unfollow !== undefined) await minitwit.unfollow(db, 'api', who, unfollow, request.latest);
      else throw new HttpError(400, 'body must have a "follow" or an "unfollow" field');
      return reply.code(204).send(null);
    },
  );
};
