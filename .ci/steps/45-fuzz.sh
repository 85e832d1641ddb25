#!/usr/bin/env bash
# The fuzz tests' long run: thousands of malformed requests at every API endpoint and web form, on the server.
# `npm test` runs them short (100 batches of 1-4 requests each); here FUZZ_RUNS (default 2000 batches of 1-4
# requests per file, about 5,000 requests each; 1000 took 27 s here) in a database of its own. A failure
# prints the counterexample and fast-check's seed.
source "$(dirname "$0")/../lib.sh"
ensure_postgres
create_database fuzz
trap drop_database EXIT
npm run build --silent
DATABASE_URL=$CI_DATABASE_URL FUZZ_RUNS=${FUZZ_RUNS:-2000} npx vitest run test/fuzz
