#!/bin/bash
# Send SIGXCPU (mutmut's "timeout") to any mutant's test run older than 90 s: infinite-loop mutants.
while pgrep -f "mutmut run" >/dev/null; do
  for p in $(ps -eo pid,etimes,cmd | grep "mutmut: " | grep -v grep | awk '$2>90{print $1}'); do
    echo "$(date +%T) timeout $(ps -o cmd= -p $p)" >> /tmp/watchdog.log; kill -XCPU $p 2>/dev/null
  done
  sleep 5
done
