// The simulator API's requests and replies, declared once: they validate requests, serialise replies
// and make the OpenAPI document.
import { Type } from '@sinclair/typebox';
import { LIMITS, NO_NUL, SINGLE_LINE } from '../http/input-rules.js';
import { TRUNCATED_HEADER } from '../http/reply-size.js';

// Names and texts may hold any printable Unicode; control characters (and NUL, which PostgreSQL's text
// cannot store) are refused with a clear 400 instead of failing in the database.
const Name = (description: string) =>
  Type.String({ maxLength: LIMITS.username, pattern: SINGLE_LINE, description });
const Text = (maxLength: number, description: string) =>
  Type.String({ maxLength, pattern: NO_NUL, description });

export const ErrorReply = Type.Object(
  { status: Type.Integer(), error_msg: Type.String() },
  { description: 'Every error reply' },
);

export const LatestQuery = Type.Object({
  latest: Type.Optional(Type.Integer({ description: "The simulator's action id, stored for GET /latest" })),
});

export const ListQuery = Type.Object({
  latest: LatestQuery.properties.latest,
  no: Type.Integer({
    minimum: 0,
    maximum: LIMITS.listMax,
    default: 100,
    description: 'At most this many items, and at most API_LIST_MAX (1000 by default) whatever is asked',
  }),
});

export const UsernameParams = Type.Object({ username: Name('A username, URL-encoded') });

export const LatestReply = Type.Object({
  latest: Type.Integer({ description: '-1 before any was recorded' }),
});

export const RegisterBody = Type.Object({
  username: Type.Optional(Name('The new username')),
  email: Type.Optional(Type.String({ maxLength: LIMITS.email, pattern: SINGLE_LINE })),
  pwd: Type.Optional(Text(LIMITS.password, 'The password')),
});

const Message = Type.Object({
  content: Type.String(),
  pub_date: Type.Integer({ description: 'Unix time in seconds' }),
  user: Type.String(),
});
/**
 * Every list may be cut to API_REPLY_MAX_BYTES (src/http/reply-size.ts): the OpenAPI document shows the
 * header that says so (@fastify/swagger reads a response schema's `headers`).
 */
const mayBeTruncated = {
  headers: {
    [TRUNCATED_HEADER]: {
      type: 'string',
      enum: ['true'],
      description:
        'Present when the list was cut at its last whole item to stay within API_REPLY_MAX_BYTES (2 MiB by default); absent when the list is whole',
    },
  },
};

export const MessageList = Type.Array(Message, mayBeTruncated);

export const PostMessageBody = Type.Object({
  // A message needs text (the reference stored empty ones).
  content: Type.String({
    minLength: 1,
    maxLength: LIMITS.message,
    pattern: NO_NUL,
    description: 'The message text',
  }),
});

export const FollowsReply = Type.Object({ follows: Type.Array(Type.String()) }, mayBeTruncated);

// One of the two; with both, `follow` wins, as in the reference.
export const FollowBody = Type.Object({
  follow: Type.Optional(Name('The user to follow')),
  unfollow: Type.Optional(Name('The user to unfollow')),
});
