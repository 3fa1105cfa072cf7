#!/bin/sh
# The postgres image runs this once, when its data volume is empty (/docker-entrypoint-initdb.d): the qiancun
# database, its owner and the portal's app role (roles.sql). Passwords come from Docker secrets, read by psql
# itself, so they never appear on a command line.
set -eu
psql -X -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\set owner qiancun_owner
\set app qiancun_app
\set db qiancun
\set owner_password `cat /run/secrets/db_owner_password`
\set app_password `cat /run/secrets/db_app_password`
\i /qiancun/roles.sql
SQL
