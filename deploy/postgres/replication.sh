#!/bin/sh
# The postgres image runs this once, when its data volume is empty (/docker-entrypoint-initdb.d): the optional
# postgres-replica service (docker-compose.yml, profile "replica") connects for streaming replication as postgres,
# with its password. The image's own pg_hba.conf lines ("host all all all") do not cover replication connections.
set -eu
printf 'host replication postgres all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
