#!/usr/bin/env bash
# What the tests need that pip cannot bring, installed when missing (as root, from Debian): Chromium and its
# ChromeDriver for the browser tests, a Java runtime for the Spark tests. `make test` runs it first, so a fresh
# machine runs those tests instead of skipping them; where nothing can be installed it says so, and they skip.
set -u
need=()
{ command -v chromium >/dev/null && command -v chromedriver >/dev/null; } || need+=(chromium chromium-driver)
command -v java >/dev/null || need+=(default-jre-headless)
[ ${#need[@]} -eq 0 ] && exit 0
log=/tmp/igclaim-test-tools-apt.log
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "test-tools: installing ${need[*]} (Debian) for the browser and Spark tests" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; } >"$log" 2>&1 \
    || echo "test-tools: WARNING could not install ${need[*]} (see $log): their tests will be skipped" >&2
else
  echo "test-tools: WARNING ${need[*]} missing and no root apt-get: their tests will be skipped" >&2
fi
exit 0
