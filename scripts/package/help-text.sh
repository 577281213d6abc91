#!/usr/bin/env bash
# The `--help` of caslite and of each subcommand, as one text file (installed as caslite-help.txt).
set -euo pipefail
bin=$1
"$bin" --help
for cmd in serve call shell run users groups tls backup restore config docs; do
  printf '\n\n======== caslite %s ========\n\n' "$cmd"
  "$bin" help "$cmd" 2>&1 || "$bin" "$cmd" --help
done
