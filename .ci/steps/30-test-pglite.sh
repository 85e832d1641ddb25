#!/usr/bin/env bash
# The test suite on the embedded database (PGlite).
source "$(dirname "$0")/../lib.sh"
npm test
