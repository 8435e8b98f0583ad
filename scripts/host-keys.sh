#!/usr/bin/env bash
# Prints the `pulumi config` lines that pin every ssh node's host key (ssh.strictHostKeyChecking: yes).
#   scripts/host-keys.sh [--stack <name>]
# The keys are read over the network (ssh-keyscan), which proves nothing about who answered: compare
# each printed fingerprint with the one the node shows on its own console before you run the lines
#   (on the node: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)
set -euo pipefail
stack=()
if [ "${1:-}" = "--stack" ]; then stack=(--stack "$2"); fi
command -v ssh-keyscan >/dev/null || { echo "host-keys: ssh-keyscan not found; install openssh-client" >&2; exit 1; }
nodes_json=$(pulumi config get nodes "${stack[@]}" 2>/dev/null) || { echo "host-keys: cannot read harbor-ha:nodes from the stack (pulumi config get nodes)" >&2; exit 1; }
node -e '
const nodes = JSON.parse(process.argv[1]);
nodes.forEach((n, i) => { if ((n.transport ?? "ssh") === "ssh") console.log([i, n.name, n.address, n.sshPort ?? 22].join("\t")); });
' "$nodes_json" | while IFS=$'\t' read -r i name address port; do
  line=$(ssh-keyscan -T 10 -p "$port" -t ed25519 "$address" 2>/dev/null | grep -v '^#' | head -1 | awk '{print $2" "$3}')
  if [ -z "$line" ]; then echo "# $name ($address:$port): no ed25519 host key answered" >&2; continue; fi
  fp=$(printf '%s %s\n' "$address" "$line" | ssh-keygen -lf - | awk '{print $2}')
  echo "# $name ($address:$port) $fp"
  printf "pulumi config set --path 'nodes[%s].hostKey' '%s'%s\n" "$i" "$line" "${stack[*]:+ ${stack[*]}}"
done
