-- The portal's database and its two roles, created by a superuser once (idempotent: safe to run again).
--
--   owner: owns the database, its schema and every table; runs `manage.py migrate`, then
--          `manage.py grant_app_role <app>` (after every migrate), and restores.
--   app:   what web, worker and beat connect as; least privilege, granted by grant_app_role:
--          DML on the tables, only SELECT and INSERT on the audit table, never the owner
--          (so it cannot TRUNCATE the audit table or disable its trigger).
--
-- psql variables: owner, owner_password, app, app_password, db. With Docker, deploy/postgres/initdb.sh runs it
-- when the postgres volume is created; without Docker (as the postgres superuser):
--
--   psql -X -v ON_ERROR_STOP=1 -d postgres \
--        -v owner=qiancun_owner -v app=qiancun_app -v db=qiancun \
--        -v owner_password="$(cat /etc/qiancun/db_owner_password)" \
--        -v app_password="$(cat /etc/qiancun/db_app_password)" \
--        -f deploy/postgres/roles.sql
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
-- Neither may create roles or databases or bypass privileges; passwords are (re)set on every run.
ALTER ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'owner_password';
ALTER ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_password';

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"owner";
-- Only the two roles connect (PUBLIC may by default); the app role also needs temporary tables.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";

\connect :"db"
-- The owner owns the schema (PostgreSQL before 15 gives it to postgres and lets everyone create in it).
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
