#!/usr/bin/env bash
# The test suite on the PostgreSQL server ($CI_POSTGRES_URL), in a database of its own.
source "$(dirname "$0")/../lib.sh"
ensure_postgres
create_database tests
trap drop_database EXIT
DATABASE_URL=$CI_DATABASE_URL npm test
