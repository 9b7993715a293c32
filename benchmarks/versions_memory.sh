#!/usr/bin/env bash
# Memory of the current-version models under a DuckDB memory cap (issue 16, benchmarks/README.md
# "Memory"). Builds only int_contacts_current, int_referrals_current and their parents (three
# staging views) from an existing raw layer, once per cap, into a fresh build database, under
# /usr/bin/time -v, and prints per cap: dbt's result, peak RSS, wall time and the largest size
# DuckDB's spill directory (<build>.tmp, dbt-duckdb's default temp_directory) reached.
#
# usage (from the repository): benchmarks/versions_memory.sh <raw.duckdb> <scratch dir> <cap>...
#   e.g. benchmarks/versions_memory.sh /tmp/nat-wh/raw.duckdb /tmp/mem-x 1GB 600MB 400MB none
#   ("none": no cap, DuckDB's default of 80% of the machine's memory)
# The raw layer is attached read-only (the profile's "raw" catalog); nothing is written to it.
set -u
raw=$1 out=$2
shift 2
mkdir -p "$out"
export IPSKPI_BUILD_DB=$out/build.duckdb IPSKPI_RAW_DB=$raw DBT_TARGET_PATH=$out/target \
    DBT_LOG_PATH=$out/logs DO_NOT_TRACK=1
for cap in "$@"; do
    rm -rf "$out/build.duckdb" "$out/build.duckdb.wal" "$out/build.duckdb.tmp" "$out/spill_kb"
    (
        peak=0
        while sleep 1; do
            kb=$(du -sk "$out/build.duckdb.tmp" 2>/dev/null | cut -f1)
            if [ "${kb:-0}" -gt "$peak" ]; then peak=$kb; echo "$peak" >"$out/spill_kb"; fi
        done
    ) &
    watcher=$!
    limit=$cap
    [ "$cap" = none ] && limit=
    IPSKPI_DUCKDB_MEMORY_LIMIT=$limit /usr/bin/time -v -o "$out/time-$cap.txt" \
        uv run --locked dbt run --profiles-dir profiles \
        -s +int_contacts_current +int_referrals_current >"$out/run-$cap.log" 2>&1
    rc=$?
    kill "$watcher"
    wait "$watcher" 2>/dev/null
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2 / 1024}' "$out/time-$cap.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time-$cap.txt")
    spill=$(($(cat "$out/spill_kb" 2>/dev/null || echo 0) / 1024))
    result=$(grep -oE 'PASS=[0-9]+ WARN=[0-9]+ ERROR=[0-9]+' "$out/run-$cap.log" | tail -1)
    echo "cap=$cap rc=$rc ${result:-no result} peak_rss=${rss}MB wall=$wall spill_peak=${spill}MB"
    grep -E 'ERROR creating|Out of Memory Error' "$out/run-$cap.log" | sed 's/\x1b\[[0-9;]*m//g' | head -2
done
