-- Backups that succeeded, recorded by `npm run backup` once its files are complete. Every replica's
-- /metrics reports the newest at scrape time, so the last backup's time survives restarts and any replica
-- can be scraped for it.

CREATE TABLE backups (
  backup_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file        text NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
  sha256      text NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  -- Where a copy was uploaded (s3://bucket/key), when it was.
  uploaded_to text
);
CREATE INDEX backups_finished_idx ON backups (finished_at DESC);
