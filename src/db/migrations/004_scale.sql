-- Bounded reads at scale (docs/scaling.md).

-- GET /fllws/<user> lists whom a user follows in the order they followed: read in that order from this
-- index, the first `no` entries, instead of all the user's follows (thousands) sorted per request.
CREATE INDEX follows_who_followed_idx ON follows (who_id, followed_at, whom_id);
