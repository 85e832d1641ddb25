-- Release "drop" of the schema-change drill: "contract"'s code plus this migration. It starts once no
-- replica of "expand" runs: nothing running reads or writes text any more.
ALTER TABLE messages DROP COLUMN text;
