set -eu
umask 077
# The password reaches curl through a config file written by the shell's printf builtin: never on a command line,
# where every process that can read /proc would see it.
printf 'user = "elastic:%s"\n' "$KIBANA_PASSWORD" > /tmp/kibana-auth
for dir in /rules/*/; do
  id=$(basename "$dir")
  url="${KIBANA_URL}/api/alerting/rule/${id}"
  code=$(curl -sS -o /tmp/response -w '%{http_code}' --cacert /kibana-ca/ca.crt -K /tmp/kibana-auth \
    -H 'kbn-xsrf: logmesh' -H 'Content-Type: application/json' -X POST "$url" --data-binary @"${dir}create.json")
  if [ "$code" = 409 ]; then
    code=$(curl -sS -o /tmp/response -w '%{http_code}' --cacert /kibana-ca/ca.crt -K /tmp/kibana-auth \
      -H 'kbn-xsrf: logmesh' -H 'Content-Type: application/json' -X PUT "$url" --data-binary @"${dir}update.json")
  fi
  case "$code" in 2*) echo "rule ${id}: ${code}" ;; *) echo "rule ${id}: HTTP ${code}"; cat /tmp/response; exit 1 ;; esac
done
