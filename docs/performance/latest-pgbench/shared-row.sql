\set id random(1, 1000000000)
BEGIN;
UPDATE bench_latest_row SET action_id = :id WHERE id = 1;
INSERT INTO bench_messages (author, text) VALUES (1, 'hello');
COMMIT;
