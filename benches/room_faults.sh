#!/bin/bash
# 20 consoles + 200 phones on the city set in PostgreSQL, the server restarted twice.
# The phones start first (their 200 Argon2 logins take the two cores for a few seconds), the
# consoles 15 s later; the restarts come 20 s and 40 s into the consoles' minute.
# Needs: a PostgreSQL 15 cluster with its data in /tmp/pgci/data, its socket in /tmp/pgci/sock on
# port 55432 (made as .ci/run makes its own), and the city set in its database citypg:
#   heatdesk demo --out city.db --scale city --date 2026-11-27
#   createdb citypg; heatdesk migrate --from city.db --to "$URL"
# Run from the repository after `cargo build --release`; the results are /tmp/fig-*.out.
URL='postgres://postgres@/citypg?host=/tmp/pgci/sock&port=55432'
H=$(realpath "${HEATDESK:-target/release/heatdesk}")
cd /tmp
$H bench-phones --db "$URL" --phones 200 --seconds 62 > /tmp/fig-phones.out 2> /tmp/fig-phones.err &
P=$!
sleep 15
$H soak --db "$URL" --consoles 20 --seconds 60 --pace-ms 1000 > /tmp/fig-soak.out 2> /tmp/fig-soak.err &
S=$!
for at in 20 40; do
  sleep 20
  t0=$(date +%s.%N)
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D /tmp/pgci/data -m fast -w restart -o "-k /tmp/pgci/sock -p 55432 -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=/tmp/pgci/server.crt -c ssl_key_file=/tmp/pgci/server.key -c max_connections=300 -c fsync=off -c synchronous_commit=off" -l /tmp/pgci/server.log >/dev/null
  echo "restart at ${at}s took $(echo "$(date +%s.%N) - $t0" | bc) s"
done
wait $S; echo "soak exit $?"
wait $P; echo "phones exit $?"
