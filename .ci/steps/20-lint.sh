#!/usr/bin/env bash
# Lint and type-check: ESLint (type-checked), Prettier's check, tsc --noEmit (strict), knip (dead code).
source "$(dirname "$0")/../lib.sh"
npm run lint
