-- Names are compared without case and compatibility forms (src/usernames.ts nameSkeletons), so "ALICE"
-- and "ℂarol" look like "alice" and "carol". A name's skeleton is now computed two ways: case folded
-- before UTS #39's skeleton (username_skeleton), and after it (the new username_skeleton_as_written:
-- "Ivan", with a capital I, still looks like "lvan").
ALTER TABLE users ADD COLUMN username_skeleton_as_written text;
CREATE INDEX users_username_skeleton_as_written_idx ON users (username_skeleton_as_written);

-- Every stored skeleton is recomputed: clearing them here makes the app compute each one again at its
-- next start (backfillNameSkeletons, as after 003), and then report, in one warning line, the existing
-- users whose names now look alike (`minitwit migrate` prints it too). No one is renamed: each keeps their
-- name and stays reachable by exactly it; only new names are refused.
UPDATE users SET username_skeleton = NULL;
