#!/usr/bin/env bash
# A self-signed certificate for running the compose gateway over HTTPS on your own machine:
#   scripts/self-signed-cert.sh [dir] [hostname]
# writes dir/tls.crt and dir/tls.key (default: certs/, localhost), which compose.yaml mounts into
# the gateway. Never for production: WeChat's request, uploadFile and connectSocket accept only a
# certificate from a public CA (docs/operations.md, "Behind HTTPS for WeChat").
set -euo pipefail

dir="${1:-certs}"
host="${2:-localhost}"
names="DNS:${host},IP:127.0.0.1,IP:::1"
[ "$host" = localhost ] || names="${names},DNS:localhost"

mkdir -p "$dir"
# The key is readable by its owner only (nginx's master process reads it as root).
umask 077
# P-256: what browsers and WeChat's clients all speak, and cheaper per handshake than RSA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj "/CN=${host}" -addext "subjectAltName=${names}" \
  -keyout "${dir}/tls.key" -out "${dir}/tls.crt" 2>/dev/null
chmod 644 "${dir}/tls.crt"
echo "wrote ${dir}/tls.crt and ${dir}/tls.key for ${host} (self-signed: local use only)"
