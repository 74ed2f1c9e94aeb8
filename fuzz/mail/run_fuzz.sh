#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Bounded libFuzzer run of fuzz_mail_parse: the corpus starts from the fixture
# e-mails and the seeds beside this script, in a scratch folder, for SECONDS.
# Usage: run_fuzz.sh <fuzz_mail_parse> <fuzz/mail dir> <fixtures/bodies> <scratch> <seconds>
set -eu
BIN=$1 SRC=$2 FIX=$3 WORK=$4 SECS=$5
rm -rf "$WORK"
mkdir -p "$WORK/corpus"
cp "$FIX"/*.eml "$WORK/corpus/"
cp "$SRC"/seeds/* "$WORK/corpus/" 2>/dev/null || true
cd "$WORK"
exec "$BIN" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -dict="$SRC/mail.dict" corpus
