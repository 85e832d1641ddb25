\set id random(1, 1000000000)
INSERT INTO bench_latest_log (action_id) VALUES (:id);
INSERT INTO bench_messages (author, text) VALUES (1, 'hello');
