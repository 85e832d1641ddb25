-- The MiniTwit model: users, who follows whom, messages; and the simulator's latest action id.

CREATE TABLE users (
  user_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username   text NOT NULL UNIQUE CHECK (char_length(username) BETWEEN 1 AND 200),
  email      text NOT NULL CHECK (strpos(email, '@') > 0 AND char_length(email) <= 320),
  pw_hash    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE follows (
  who_id      bigint NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  whom_id     bigint NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  followed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (who_id, whom_id)
);
-- "Who follows X" (deleting users, follower counts) without a scan.
CREATE INDEX follows_whom_idx ON follows (whom_id);

CREATE TABLE messages (
  message_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id  bigint NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  text       text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 10000),
  pub_date   timestamptz NOT NULL DEFAULT now(),
  flagged    boolean NOT NULL DEFAULT false
);
-- Timelines read the newest unflagged messages first: all of them, or one author's.
CREATE INDEX messages_public_idx ON messages (pub_date DESC, message_id DESC) WHERE NOT flagged;
CREATE INDEX messages_author_idx ON messages (author_id, pub_date DESC, message_id DESC) WHERE NOT flagged;

-- Append-only: every simulator request adds a row instead of updating one shared row, so concurrent
-- requests never queue on a row lock. The newest row is the latest id; older rows are pruned.
CREATE TABLE simulator_latest (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  action_id   bigint NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
