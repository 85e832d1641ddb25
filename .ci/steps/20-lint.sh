#!/usr/bin/env bash
# Lint and type-check: ESLint, Prettier's check, tsc --noEmit (strict).
source "$(dirname "$0")/../lib.sh"
npm run lint
