#!/bin/sh
# Run once by the postgres image when the primary's cluster is created
# (compose.scale.yaml): a role for the replica, allowed to stream from the
# compose network only.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$REPLICATION_PASSWORD';
SQL
echo "host replication replicator 172.30.81.0/24 scram-sha-256" >> "$PGDATA/pg_hba.conf"
