set -eu
es=https://@ES_HOST@:@ES_PORT@
umask 077
# The password goes to curl through a netrc file: never on a command line or in the environment.
printf 'machine @ES_HOST@ login elastic password %s\n' "$(cat /etc/es-user/elastic)" > /tmp/netrc
printf 'machine @KIBANA_HOST@ login elastic password %s\n' "$(cat /etc/es-user/elastic)" >> /tmp/netrc
put() {
  case $2 in /*) body=$2 ;; *) body=/etc/logmesh/$2 ;; esac
  curl --fail-with-body --silent --show-error --retry 60 --retry-all-errors --retry-delay 10 \
    --cacert /etc/es-tls/ca.crt --netrc-file /tmp/netrc -H 'Content-Type: application/json' \
    -X PUT "$es/$1" --data "@$body"
  echo
}
put _ilm/policy/logmesh-logs ilm-policy.json
put _index_template/logmesh-logs index-template.json
put _snapshot/logmesh-archive snapshot-repository.json
put _slm/policy/logmesh-nightly slm-policy.json
# With tracing (docs/tracing.md): the span indices' lifecycle, then Jaeger's own index templates naming it (rendered by
# the init container, components/tracing/jaeger_config.py mappings_script). Jaeger starts after this Job.
if [ -f /etc/logmesh/trace-ilm-policy.json ]; then
  put _ilm/policy/@TRACE_ILM_POLICY@ trace-ilm-policy.json
  for mapping in @TRACE_MAPPINGS@; do
    put "_index_template/@TRACE_INDEX_PREFIX@-$mapping" "@TRACE_MAPPINGS_DIR@/$mapping.json"
  done
fi
# Kibana's saved objects (components/dashboards/kibana.py): stable ids, so overwrite updates them. The import answers
# 200 with "success":false when an object is refused, so the body is checked too.
curl --fail-with-body --silent --show-error --retry 60 --retry-all-errors --retry-delay 10 \
  --cacert /etc/kibana-ca/ca.crt --netrc-file /tmp/netrc -H 'kbn-xsrf: logmesh' -o /tmp/import.json \
  -X POST "@KIBANA_URL@/api/saved_objects/_import?overwrite=true" -F file=@/etc/logmesh/kibana-saved-objects.ndjson
cat /tmp/import.json; echo
grep -q '"success":true' /tmp/import.json
