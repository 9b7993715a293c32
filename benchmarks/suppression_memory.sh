#!/usr/bin/env bash
# Memory of the suppression passes under a DuckDB memory cap (issue 16, benchmarks/README.md
# "Memory"). Sibling of versions_memory.sh. Copies an existing build database (one that already
# holds int_public_hidden_pass_0 and int_public_groups, e.g. a whole uncapped `dbt run`) into a
# scratch folder, once per cap, and rebuilds only the selected models there (e.g. the eight passes
# and what reads them: int_public_hidden_pass_1+), under /usr/bin/time -v. With "-" for the build
# and "all" for the selector it starts from an empty database instead: `dbt seed` (not timed, no
# cap), then the whole `dbt run` (every model, no tests) under the cap. Prints per cap:
# dbt's result, peak RSS (dbt's whole process), wall time and the largest size DuckDB's spill
# directory (<build>.tmp, dbt-duckdb's default temp_directory) reached.
#
# usage (from the repository):
#   benchmarks/suppression_memory.sh <build.duckdb> <raw.duckdb> <scratch dir> <selector> <cap>...
#   e.g. benchmarks/suppression_memory.sh /tmp/nat-build.duckdb /tmp/nat-wh/raw.duckdb /tmp/sup-x \
#        int_public_hidden_pass_1+ 800MB 600MB none
#   benchmarks/suppression_memory.sh - /tmp/nat-wh/raw.duckdb /tmp/sup-all all 800MB 600MB
#   ("none": no cap, DuckDB's default of 80% of the machine's memory)
# The build and raw databases are only read (the build is copied; raw is attached read-only).
set -u
build=$1 raw=$2 out=$3 selector=$4
shift 4
mkdir -p "$out"
export IPSKPI_BUILD_DB=$out/build.duckdb IPSKPI_RAW_DB=$raw DBT_TARGET_PATH=$out/target \
    DBT_LOG_PATH=$out/logs DO_NOT_TRACK=1
for cap in "$@"; do
    rm -rf "$out/build.duckdb" "$out/build.duckdb.wal" "$out/build.duckdb.tmp" "$out/spill_kb"
    if [ "$build" = - ]; then
        uv run --locked dbt seed --profiles-dir profiles >"$out/seed-$cap.log" 2>&1 || {
            echo "cap=$cap dbt seed failed (see $out/seed-$cap.log)"
            continue
        }
    else
        cp "$build" "$out/build.duckdb"
    fi
    select=(-s "$selector")
    [ "$selector" = all ] && select=()
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
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    IPSKPI_DUCKDB_MEMORY_LIMIT=$limit /usr/bin/time -v -o "$out/time-$cap.txt" \
        uv run --locked dbt run --profiles-dir profiles "${select[@]}" >"$out/run-$cap.log" 2>&1
    rc=$?
    kill "$watcher"
    wait "$watcher" 2>/dev/null
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2 / 1024}' "$out/time-$cap.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time-$cap.txt")
    spill=$(($(cat "$out/spill_kb" 2>/dev/null || echo 0) / 1024))
    result=$(grep -oE 'PASS=[0-9]+ WARN=[0-9]+ ERROR=[0-9]+' "$out/run-$cap.log" | tail -1)
    echo "cap=$cap rc=$rc ${result:-no result} peak_rss=${rss}MB wall=$wall spill_peak=${spill}MB" \
        "load_before=$load load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
    grep -E 'ERROR creating|Out of Memory Error' "$out/run-$cap.log" | sed 's/\x1b\[[0-9;]*m//g' | head -2
done
