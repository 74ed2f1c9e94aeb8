#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# First start of the compose PostgreSQL (docker-entrypoint-initdb.d, run as
# the superuser): the schema owner with CREATEROLE, the database with
# PostGIS, the group roles (0500_roles.sql fills in their grants) and one
# login per service, passwords read from the mounted secret files. Values are
# passed as psql variables (:'pw'), never spliced into SQL text.
set -euo pipefail
pw() { tr -d '\n' < "/run/secrets/$1"; }
psql=(psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname postgres)

"${psql[@]}" -v pw="$(pw pg_owner_password)" <<'SQL'
CREATE ROLE prahari LOGIN CREATEROLE PASSWORD :'pw';
CREATE DATABASE prahari OWNER prahari;
SQL
"${psql[@]}" --dbname prahari <<'SQL'
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SQL
for svc in ingest enrich router notifier admin; do
	"${psql[@]}" -v role="prahari_$svc" -v login="prahari_${svc}_app" -v pw="$(pw "pg_${svc}_password")" <<'SQL'
SELECT format('CREATE ROLE %I NOLOGIN', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')\gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', :'login', :'pw', :'role')\gexec
SQL
done
