-- Least privilege (deploy/postgres/initdb/10-minitwit-roles.sh runs this once, at the first boot, as the
-- superuser; test/db/migration-role.test.ts runs the same file). psql variables: owner, app, monitor and
-- their passwords, database.
--   :owner    owns the database and its schema; runs the migrations (MIGRATION_DATABASE_URL); no superuser
--   :app      the app's connection (DATABASE_URL): reads and writes rows, nothing more
--   :monitor  postgres-exporter's: pg_monitor's statistics, no table data
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE ROLE :"monitor" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'monitor_password' IN ROLE pg_monitor;
ALTER DATABASE :"database" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"app";
GRANT CONNECT ON DATABASE :"database" TO :"monitor";
\connect :"database"
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- Whatever the owner's migrations create, now or later: rows for the app, no DDL, no TRUNCATE.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT EXECUTE ON FUNCTIONS TO :"app";
