{{/* Names and labels shared by every resource. */}}
{{- define "dinghuo.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dinghuo.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "dinghuo.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "dinghuo.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "dinghuo.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secrets" (include "dinghuo.fullname" .)) -}}
{{- end -}}

{{/* Environment of every Dinghuo container: the ConfigMap and the Secret. */}}
{{- define "dinghuo.envFrom" -}}
- configMapRef:
    name: {{ include "dinghuo.fullname" . }}-config
- secretRef:
    name: {{ include "dinghuo.secretName" . }}
{{- end -}}

{{- define "dinghuo.volumes" -}}
- name: tmp
  emptyDir: {}
- name: instance
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ .Values.persistence.existingClaim | default (printf "%s-instance" (include "dinghuo.fullname" .)) }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}

{{- define "dinghuo.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: instance
  mountPath: /var/lib/dinghuo
{{- end -}}

{{/* Pod-level settings shared by the web, worker and scheduler pods. */}}
{{- define "dinghuo.podSpec" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
