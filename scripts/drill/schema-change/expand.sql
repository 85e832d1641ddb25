-- Release "expand" of the schema-change drill (scripts/drill/schema-change/drill.sh): messages.content,
-- text's successor, added and backfilled. Nullable: the release still running beside this one during the
-- roll writes text alone; the next release's migration fills those rows.
ALTER TABLE messages ADD COLUMN content text CHECK (char_length(content) BETWEEN 1 AND 10000);
UPDATE messages SET content = text;
