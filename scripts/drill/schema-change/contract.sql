-- Release "contract" of the schema-change drill: it starts once every replica runs "expand" (which writes
-- both columns), so the rows the release before "expand" wrote during its roll are the last without
-- content. Then content is required, and text no longer is: this release writes content alone, while
-- "expand" (still running during this roll) reads text or, when it is NULL, content.
UPDATE messages SET content = text WHERE content IS NULL;
ALTER TABLE messages ALTER COLUMN content SET NOT NULL, ALTER COLUMN text DROP NOT NULL;
