DROP TABLE IF EXISTS bench_messages, bench_latest_row, bench_latest_log;
CREATE TABLE bench_messages (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, author int NOT NULL, text text NOT NULL, pub_date timestamptz NOT NULL DEFAULT now());
CREATE TABLE bench_latest_row (id int PRIMARY KEY, action_id bigint NOT NULL);
INSERT INTO bench_latest_row VALUES (1, -1);
CREATE TABLE bench_latest_log (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, action_id bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now());
