-- Sessions that really end, names that are what they look like, abuse limits shared by every replica.

-- Signing out adds one: every session cookie of that user carries the version it was issued under, and
-- one issued under an older version is refused, on every replica (src/web/session.ts).
ALTER TABLE users ADD COLUMN session_version integer NOT NULL DEFAULT 0;

-- What a name looks like (UTS #39 skeleton, src/usernames.ts): a new name may not share one with an
-- existing user. Computed by the app (Unicode's confusables table is not in PostgreSQL); the rows that
-- exist now get theirs at the next start (backfillNameSkeletons).
ALTER TABLE users ADD COLUMN username_skeleton text;
CREATE INDEX users_username_skeleton_idx ON users (username_skeleton);

-- Names are kept in Unicode's composed form (NFC); lookups try the name as sent and its NFC form. A row
-- whose NFC form another row already has (or would get) keeps its name as it is: it stays reachable by
-- exactly that name, and no user is lost or merged.
UPDATE users u
SET username = normalize(u.username, NFC)
WHERE u.username IS NOT NFC NORMALIZED
  AND NOT EXISTS (SELECT 1 FROM users o WHERE o.username = normalize(u.username, NFC))
  AND u.user_id = (
    SELECT min(x.user_id) FROM users x WHERE normalize(x.username, NFC) = normalize(u.username, NFC)
  );

-- rate-limiter-flexible's table (RateLimiterPostgres), made here rather than by the library at run time.
-- Keys are hashes (no address or e-mail in clear); expire is epoch milliseconds.
CREATE TABLE rate_limits (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
