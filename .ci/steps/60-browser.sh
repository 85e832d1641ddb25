#!/usr/bin/env bash
# The browser test in headless Chromium (Debian's).
source "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/chromium ] || ensure_packages chromium
npm run test:e2e
