{{- define "operator.webhookSecretName" -}}{{ .Release.Name }}-webhook-cert{{- end -}}
