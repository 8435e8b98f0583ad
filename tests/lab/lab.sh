#!/usr/bin/env bash
# tests/lab/lab.sh - harbor-ha's L4 test lab: N emulated Debian VMs + a real single-node Ceph.
#
#   lab.sh prereqs      host packages (docker.io, debootstrap, openssh-client) if missing; start
#                       dockerd if none answers (log: $LAB_STATE_ROOT/dockerd.log)
#   lab.sh build        prereqs + images (debootstrap base -> node -> ceph), cached by a content hash
#   lab.sh up           build + network + nodes + Ceph; on failure or interrupt it tears down again
#   lab.sh down         lazy-unmounts every ceph-fuse mount, then removes nodes, Ceph, volumes, network
#   lab.sh status       containers, node readiness, VIP holder, ceph health
#   lab.sh env [--json] where everything is (IPs, VIP, key paths); shell syntax or JSON
#   lab.sh ssh N [cmd]  ssh to node N as root
#   lab.sh run -- CMD   up, run CMD, down (also on failure or interrupt); exit code of CMD
#   lab.sh test [FILES] the L4 mocha suite (tests/lab/*.test.ts, or just FILES); it brings the lab
#                       up and down itself (a lab that is already up is reused and left up)
#
# Settings (environment). Two labs with different LAB_NAMEs do not collide on one daemon.
#   LAB_NAME=hha           prefix of every container/volume/network; state in $LAB_STATE_ROOT/$LAB_NAME
#   LAB_NODES=3            number of nodes (node1..N)
#   LAB_SUBNET=            a /24 for the lab bridge; default derived from LAB_NAME (10.200-249.x.0/24).
#                          .1 = this host, .10 = Ceph, .11.. = nodes, .100 = VIP, .128/25 = docker's pool
#   LAB_VIP=               default <subnet>.100
#   LAB_CEPH=1             0: no Ceph cluster
#   LAB_OSD_SIZE_GB=4      sparse bluestore file size
#   LAB_TIMEOUT=180        seconds per readiness wait
#   LAB_STATE_ROOT=/var/tmp/harbor-ha-lab
#   LAB_KEEP_STATE=0       1: `down` keeps the state dir (logs, keys)
# Needs root, Debian (apt), /dev/fuse. Talks only to Debian's mirror (apt, debootstrap) and to the
# lab's own bridge network.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)

LAB_NAME=${LAB_NAME:-hha}
[[ $LAB_NAME =~ ^[a-z][a-z0-9-]{0,19}$ ]] || { echo "lab: LAB_NAME must match [a-z][a-z0-9-]{0,19}" >&2; exit 2; }
LAB_STATE_ROOT=${LAB_STATE_ROOT:-/var/tmp/harbor-ha-lab}
LAB_STATE=$LAB_STATE_ROOT/$LAB_NAME
# Commands on an existing lab describe that lab: its settings, as `up` recorded them, win.
case "${1:-}" in
    up | run | test | prereqs | build) ;;
    *) if [ -f "$LAB_STATE/settings.env" ]; then . "$LAB_STATE/settings.env"; fi ;;
esac
LAB_NODES=${LAB_NODES:-3}
[[ $LAB_NODES =~ ^[1-9]$ ]] || { echo "lab: LAB_NODES must be 1..9" >&2; exit 2; }
_h=$(printf %s "$LAB_NAME" | cksum | cut -d' ' -f1)
LAB_SUBNET=${LAB_SUBNET:-10.$((200 + _h % 50)).$(((_h / 50) % 256)).0/24}
[[ $LAB_SUBNET =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.0/24$ ]] || { echo "lab: LAB_SUBNET must be a /24 like 10.213.0.0/24" >&2; exit 2; }
PREFIX=${BASH_REMATCH[1]}
LAB_GATEWAY=$PREFIX.1
LAB_CEPH_IP=$PREFIX.10
LAB_VIP=${LAB_VIP:-$PREFIX.100}
LAB_CEPH=${LAB_CEPH:-1}
LAB_OSD_SIZE_GB=${LAB_OSD_SIZE_GB:-4}
LAB_TIMEOUT=${LAB_TIMEOUT:-180}
LAB_CEPH_FS=cephfs
LAB_CEPH_CLIENT=harbor
LAB_CEPH_PATH=/harbor

LABEL=harbor-ha-lab                       # label key; value = LAB_NAME
NET=$LAB_NAME-net
BRIDGE=hhl$(printf %s "$LAB_NAME" | sha256sum | cut -c1-10)   # <= 15 chars
CEPH_CTR=$LAB_NAME-ceph
CEPH_VOL=$LAB_NAME-ceph-data
KEY=$LAB_STATE/id_ed25519
SSH_CONFIG=$LAB_STATE/ssh_config
CEPH_DIR=$LAB_STATE/ceph
node_ip() { echo "$PREFIX.$((10 + $1))"; }
node_ctr() { echo "$LAB_NAME-node$1"; }

T0=$EPOCHREALTIME
log() { printf '[lab %s %6.1fs] %s\n' "$LAB_NAME" "$(elapsed "$T0")" "$*" >&2; }
die() { printf '[lab %s] ERROR: %s\n' "$LAB_NAME" "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# phase_done <name> <start>: print and record how long a phase took
phase_done() {
    local d; d=$(elapsed "$2")
    log "phase $1: ${d}s"
    if [ -d "$LAB_STATE" ]; then printf '%s\t%s\n' "$1" "$d" >> "$LAB_STATE/timings.tsv"; fi
}
sshn() { # sshn <node-number> <command...>  (no connection sharing)
    local n=$1; shift
    ssh -F "$SSH_CONFIG" -o ControlMaster=no -o ControlPath=none -o BatchMode=yes "root@$(node_ip "$n")" "$@"
}

# ------------------------------------------------------------------------------------ prereqs
cmd_prereqs() {
    local t need=() log=$LAB_STATE_ROOT/dockerd.log
    t=$EPOCHREALTIME
    [ "$(id -u)" = 0 ] || die "run as root"
    mkdir -p "$LAB_STATE_ROOT"
    if ! docker info >/dev/null 2>&1; then
        command -v dockerd >/dev/null || need+=(docker.io)
        command -v docker >/dev/null || need+=(docker.io)
    fi
    command -v debootstrap >/dev/null || need+=(debootstrap)
    command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || need+=(openssh-client)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing host packages: ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
        apt-get update -qq >"$LAB_STATE_ROOT/apt.log" 2>&1 || { tail -20 "$LAB_STATE_ROOT/apt.log" >&2; die "apt-get update failed"; }
        # shellcheck disable=SC2046
        apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) \
            >>"$LAB_STATE_ROOT/apt.log" 2>&1 || { tail -20 "$LAB_STATE_ROOT/apt.log" >&2; die "apt-get install failed"; }
    fi
    [ -c /dev/fuse ] || die "/dev/fuse missing (ceph-fuse in the nodes needs it)"
    if ! docker info >/dev/null 2>&1; then
        # No systemd on these machines: docker.io's postinst cannot start it. Start it by hand,
        # detached, unless one is already starting (pid file of a live dockerd).
        if [ -s /var/run/docker.pid ] && [ "$(cat "/proc/$(cat /var/run/docker.pid)/comm" 2>/dev/null)" = dockerd ]; then
            log "dockerd $(cat /var/run/docker.pid) is running but not answering yet; waiting"
        else
            rm -f /var/run/docker.pid
            log "starting dockerd (log $log)"
            setsid nohup dockerd >>"$log" 2>&1 </dev/null &
        fi
        local i
        for ((i = 0; i < 120; i++)); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
        docker info >/dev/null 2>&1 || { tail -n 30 "$log" >&2; die "dockerd did not answer within 60 s"; }
    fi
    phase_done prereqs "$t"
}

# -------------------------------------------------------------------------------------- build
hash_of() { sha256sum | cut -c1-16; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
debian_mirror() {
    local m=""
    if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
        m=$(awk 'tolower($1) == "uris:" && $2 !~ /security/ && $2 ~ /debian/ { print $2; exit }' /etc/apt/sources.list.d/*.sources)
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" && $0 !~ /security/ && $0 ~ /debian/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}
# the host's Debian apt sources, for the images (mirror + updates + security as the host has them)
apt_context() { # apt_context <dir>
    local d=$1 mirror f
    mkdir -p "$d/sources.list.d"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && grep -qi '^uris:.*debian' "$f" && cp "$f" "$d/sources.list.d/"
    done
    if [ -f /etc/apt/sources.list ] && grep -qE '^deb .*debian' /etc/apt/sources.list; then
        grep -E '^deb .*debian' /etc/apt/sources.list > "$d/sources.list"
    fi
    if [ -z "$(ls -A "$d/sources.list.d")" ] && [ ! -f "$d/sources.list" ]; then
        mirror=$(debian_mirror)
        printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" > "$d/sources.list"
    fi
}
TMP_ROOTS=()
cleanup_tmp() {
    local r m
    for r in "${TMP_ROOTS[@]}"; do
        [ -d "$r" ] || continue
        # debootstrap may leave proc/sys mounted in the target when interrupted
        for m in $(awk -v r="$r" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
        rm -rf --one-file-system "$r"
    done
    TMP_ROOTS=()
}
build_images() {
    local t tall mirror base node ceph ctx rc
    t=$EPOCHREALTIME tall=$EPOCHREALTIME
    mkdir -p "$LAB_STATE_ROOT"
    mirror=$(debian_mirror)
    base=harbor-ha-lab/base:$(printf 'base-v1 debootstrap minbase bookworm %s' "$mirror" | hash_of)
    if ! image_exists "$base"; then
        log "building $base: debootstrap --variant=minbase bookworm $mirror"
        ctx=$(mktemp -d "$LAB_STATE_ROOT/debootstrap.XXXXXX"); TMP_ROOTS+=("$ctx")
        debootstrap --variant=minbase bookworm "$ctx/root" "$mirror" >"$LAB_STATE_ROOT/debootstrap.log" 2>&1 \
            || { tail -20 "$LAB_STATE_ROOT/debootstrap.log" >&2; cleanup_tmp; die "debootstrap failed"; }
        tar -C "$ctx/root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$base" >/dev/null
        cleanup_tmp
        phase_done "image base (debootstrap)" "$t"; t=$EPOCHREALTIME
    fi

    ctx=$(mktemp -d "$LAB_STATE_ROOT/ctx.XXXXXX"); TMP_ROOTS+=("$ctx")
    cp "$LAB_DIR/images/node/"* "$ctx/"
    apt_context "$ctx/apt"
    node=harbor-ha-lab/node:$( { echo "$base"; cd "$ctx" && find . -type f | LC_ALL=C sort | xargs sha256sum; } | hash_of)
    if ! image_exists "$node"; then
        log "building $node"
        rc=0; DOCKER_BUILDKIT=0 docker build --build-arg "BASE_IMAGE=$base" --label "$LABEL.image=node" \
            -t "$node" "$ctx" >"$LAB_STATE_ROOT/build-node.log" 2>&1 || rc=$?
        [ $rc = 0 ] || { tail -30 "$LAB_STATE_ROOT/build-node.log" >&2; cleanup_tmp; die "node image build failed"; }
        phase_done "image node" "$t"; t=$EPOCHREALTIME
    fi
    cleanup_tmp

    ceph=harbor-ha-lab/ceph:$( { echo "$node"; cd "$LAB_DIR/images/ceph" && find . -type f | LC_ALL=C sort | xargs sha256sum; } | hash_of)
    if [ "$LAB_CEPH" = 1 ] && ! image_exists "$ceph"; then
        log "building $ceph"
        rc=0; DOCKER_BUILDKIT=0 docker build --build-arg "NODE_IMAGE=$node" --label "$LABEL.image=ceph" \
            -t "$ceph" "$LAB_DIR/images/ceph" >"$LAB_STATE_ROOT/build-ceph.log" 2>&1 || rc=$?
        [ $rc = 0 ] || { tail -30 "$LAB_STATE_ROOT/build-ceph.log" >&2; die "ceph image build failed"; }
        phase_done "image ceph" "$t"; t=$EPOCHREALTIME
    fi
    NODE_IMAGE=$node CEPH_IMAGE=$ceph
    phase_done "images" "$tall"
}
cmd_build() { cmd_prereqs; build_images; log "images: $NODE_IMAGE $CEPH_IMAGE"; }

# ----------------------------------------------------------------------------------------- up
lab_objects() { docker ps -aq --filter "label=$LABEL=$LAB_NAME"; }
lab_is_up() {
    [ -f "$LAB_STATE/up.ok" ] || return 1
    local i
    for i in $(seq 1 "$LAB_NODES"); do
        [ "$(docker inspect -f '{{.State.Running}}' "$(node_ctr "$i")" 2>/dev/null)" = true ] || return 1
    done
    [ "$LAB_CEPH" != 1 ] || [ "$(docker inspect -f '{{.State.Running}}' "$CEPH_CTR" 2>/dev/null)" = true ]
}

write_ssh_config() {
    local i
    {
        echo "# harbor-ha lab $LAB_NAME (written by tests/lab/lab.sh)"
        printf 'Host %s.*' "$PREFIX"
        for i in $(seq 1 "$LAB_NODES"); do printf ' node%s' "$i"; done
        echo
        echo "    User root"
        echo "    IdentityFile $KEY"
        echo "    IdentitiesOnly yes"
        echo "    StrictHostKeyChecking no"
        echo "    UserKnownHostsFile /dev/null"
        echo "    LogLevel ERROR"
        echo "    ConnectTimeout 5"
        echo "    ServerAliveInterval 2"
        echo "    ServerAliveCountMax 3"
        echo "    ControlMaster auto"
        echo "    ControlPath $LAB_STATE/cm/%C"
        echo "    ControlPersist 60"
        for i in $(seq 1 "$LAB_NODES"); do printf 'Host node%s\n    HostName %s\n' "$i" "$(node_ip "$i")"; done
    } > "$SSH_CONFIG"
}

ceph_up() { # runs in the background during `up`; prints its own phases
    local t
    boot() {
        docker exec -e LAB_CEPH_IP="$LAB_CEPH_IP" -e LAB_SUBNET="$LAB_SUBNET" -e LAB_CEPH_FS="$LAB_CEPH_FS" \
            -e LAB_CEPH_CLIENT="$LAB_CEPH_CLIENT" -e LAB_CEPH_PATH="$LAB_CEPH_PATH" \
            -e LAB_OSD_SIZE_GB="$LAB_OSD_SIZE_GB" -e LAB_TIMEOUT="$LAB_TIMEOUT" "$CEPH_CTR" lab-ceph "$1"
    }
    t=$EPOCHREALTIME
    docker volume create --label "$LABEL=$LAB_NAME" "$CEPH_VOL" >/dev/null
    docker run -d --name "$CEPH_CTR" --hostname ceph --label "$LABEL=$LAB_NAME" --label "$LABEL.role=ceph" \
        --network "$NET" --ip "$LAB_CEPH_IP" -v "$CEPH_VOL:/var/lib/ceph" "$CEPH_IMAGE" >/dev/null
    phase_done "ceph container" "$t"
    local step
    for step in mon mgr osd mds fs client; do
        t=$EPOCHREALTIME; boot "$step"; phase_done "ceph $step" "$t"
    done
    mkdir -p "$CEPH_DIR"; chmod 700 "$CEPH_DIR"
    docker exec "$CEPH_CTR" ceph config generate-minimal-conf > "$CEPH_DIR/ceph.conf"
    docker exec "$CEPH_CTR" ceph auth print-key "client.$LAB_CEPH_CLIENT" > "$CEPH_DIR/$LAB_CEPH_CLIENT.secret"
    docker exec "$CEPH_CTR" ceph auth get "client.$LAB_CEPH_CLIENT" 2>/dev/null > "$CEPH_DIR/ceph.client.$LAB_CEPH_CLIENT.keyring"
    docker exec "$CEPH_CTR" cat /etc/ceph/ceph.client.admin.keyring > "$CEPH_DIR/ceph.client.admin.keyring"
    chmod 644 "$CEPH_DIR/ceph.conf"; chmod 600 "$CEPH_DIR"/*.secret "$CEPH_DIR"/*.keyring
}

UP_OK=0 CEPH_PID=""
up_exit() {
    local rc=$?
    [ "$UP_OK" = 1 ] && return
    trap - EXIT INT TERM
    log "up failed or interrupted (exit $rc): tearing the lab down"
    if [ -n "$CEPH_PID" ] && kill -0 "$CEPH_PID" 2>/dev/null; then kill "$CEPH_PID" 2>/dev/null || true; fi
    cleanup_tmp
    cmd_down || true
    exit "$rc"
}
cmd_up() {
    local t tall i ip pub
    tall=$EPOCHREALTIME
    cmd_prereqs
    if lab_is_up; then log "lab already up (lab.sh down to remove it)"; return 0; fi
    if [ -n "$(lab_objects)" ] || docker network inspect "$NET" >/dev/null 2>&1; then
        log "leftovers of an earlier lab $LAB_NAME found: removing them first"
        cmd_down
    fi
    trap up_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mkdir -p "$LAB_STATE/cm"; chmod 700 "$LAB_STATE" "$LAB_STATE/cm"
    rm -f "$LAB_STATE/up.ok"
    printf 'LAB_NODES=%s\nLAB_SUBNET=%s\nLAB_VIP=%s\nLAB_CEPH=%s\nLAB_OSD_SIZE_GB=%s\n' \
        "$LAB_NODES" "$LAB_SUBNET" "$LAB_VIP" "$LAB_CEPH" "$LAB_OSD_SIZE_GB" > "$LAB_STATE/settings.env"
    build_images

    [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "harbor-ha-lab-$LAB_NAME" -f "$KEY"
    pub=$(cat "$KEY.pub")
    write_ssh_config

    t=$EPOCHREALTIME
    docker network create --driver bridge --subnet "$LAB_SUBNET" --gateway "$LAB_GATEWAY" \
        --ip-range "$PREFIX.128/25" -o "com.docker.network.bridge.name=$BRIDGE" \
        --label "$LABEL=$LAB_NAME" "$NET" >/dev/null \
        || die "cannot create network $NET on $LAB_SUBNET (overlap with another network? set LAB_SUBNET)"
    phase_done "network $LAB_SUBNET" "$t"

    if [ "$LAB_CEPH" = 1 ]; then
        ceph_up &
        CEPH_PID=$!
    fi

    t=$EPOCHREALTIME
    local hosts=()
    for i in $(seq 1 "$LAB_NODES"); do hosts+=(--add-host "node$i:$(node_ip "$i")"); done
    for i in $(seq 1 "$LAB_NODES"); do
        ip=$(node_ip "$i")
        docker volume create --label "$LABEL=$LAB_NAME" "$(node_ctr "$i")-docker" >/dev/null
        # "privileged minus CAP_SYS_RESOURCE": --privileged fails on the CI VM kind (its bounding set
        # lacks that capability and docker ignores --cap-drop next to --privileged)
        docker run -d --name "$(node_ctr "$i")" --hostname "node$i" \
            --label "$LABEL=$LAB_NAME" --label "$LABEL.role=node" \
            --network "$NET" --ip "$ip" "${hosts[@]}" \
            --cap-add ALL --cap-drop SYS_RESOURCE \
            --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
            --security-opt systempaths=unconfined \
            --device-cgroup-rule 'a *:* rwm' --device /dev/fuse --cgroupns=private \
            --tmpfs /run --tmpfs /run/lock \
            -v "$(node_ctr "$i")-docker:/var/lib/docker" \
            -e "LAB_AUTHORIZED_KEYS=$pub" \
            "$NODE_IMAGE" >/dev/null
    done
    phase_done "nodes started" "$t"

    t=$EPOCHREALTIME
    local ok state
    for i in $(seq 1 "$LAB_NODES"); do
        ok=0
        for ((k = 0; k < LAB_TIMEOUT * 2; k++)); do
            if state=$(sshn "$i" -o ConnectTimeout=2 \
                'timeout 60 systemctl is-system-running --wait; docker version --format "{{.Server.Version}}" >/dev/null && echo docker-ok' 2>/dev/null) \
                && [[ $state == *docker-ok* ]]; then ok=1; break; fi
            sleep 0.5
        done
        if [ $ok != 1 ]; then
            docker logs --tail 30 "$(node_ctr "$i")" >&2 || true
            die "node$i ($(node_ip "$i")) not ready over ssh with a working dockerd after ${LAB_TIMEOUT}s"
        fi
        if [[ $state != running* ]]; then
            log "warning: node$i systemd state: ${state%%$'\n'*}; failed units: $(sshn "$i" systemctl --failed --no-legend --plain | awk '{print $1}' | xargs)"
        fi
    done
    phase_done "nodes ready (ssh + systemd + dockerd)" "$t"

    if [ -n "$CEPH_PID" ]; then
        t=$EPOCHREALTIME
        wait "$CEPH_PID" || die "ceph bring-up failed"
        CEPH_PID=""
        phase_done "ceph ready (waited after nodes)" "$t"
    fi
    cmd_env > "$LAB_STATE/lab.env"
    cmd_env --json > "$LAB_STATE/lab.json"
    touch "$LAB_STATE/up.ok"
    UP_OK=1
    trap - EXIT INT TERM
    phase_done "up total" "$tall"
    log "lab up: nodes $(for i in $(seq 1 "$LAB_NODES"); do printf '%s ' "$(node_ip "$i")"; done)VIP $LAB_VIP$([ "$LAB_CEPH" != 1 ] || echo " ceph $LAB_CEPH_IP"); env: $LAB_STATE/lab.env"
}

# --------------------------------------------------------------------------------------- down
# Unmount ceph-fuse in a node before the cluster goes: with the cluster gone, anything touching the
# mount (even umount or mountpoint) blocks in D state until that ceph-fuse is SIGKILLed.
# Reads /proc/mounts only (never stats the mountpoint); finds ceph-fuse by the mountpoint in its argv.
UNMOUNT_CEPH_FUSE='
for m in $(awk '"'"'$3 ~ /^fuse\.ceph/ { print $2 }'"'"' /proc/mounts | sort -r); do
    pids=$(ps -eo pid=,args= | awk -v m="$m" '"'"'$2 ~ /ceph-fuse$/ { for (i = 3; i <= NF; i++) if ($i == m) print $1 }'"'"')
    umount -l "$m" 2>/dev/null
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    echo "lazy-unmounted $m"
done
true'
cmd_down() {
    local t c nodes ceph vols
    t=$EPOCHREALTIME
    nodes=$(docker ps -aq --filter "label=$LABEL=$LAB_NAME" --filter "label=$LABEL.role=node" 2>/dev/null || true)
    ceph=$(docker ps -aq --filter "label=$LABEL=$LAB_NAME" --filter "label=$LABEL.role=ceph" 2>/dev/null || true)
    # 1. ceph-fuse mounts: in the nodes, and any on this host below the lab's state dir
    for c in $nodes; do
        [ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" = true ] || continue
        timeout 20 docker exec "$c" sh -c "$UNMOUNT_CEPH_FUSE" 2>&1 | sed "s/^/[lab $LAB_NAME] $(docker inspect -f '{{.Config.Hostname}}' "$c"): /" >&2 || true
    done
    if [ -d "$LAB_STATE" ]; then
        for m in $(awk -v r="$LAB_STATE/" '$3 ~ /^fuse\.ceph/ && index($2, r) == 1 { print $2 }' /proc/mounts); do
            umount -l "$m" 2>/dev/null && log "lazy-unmounted host mount $m"
        done
    fi
    # 2. ssh connection masters
    for s in "$LAB_STATE"/cm/*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1; done
    # 3. nodes, then the cluster
    [ -z "$nodes" ] || docker rm -f -v $nodes >/dev/null
    [ -z "$ceph" ] || docker rm -f -v $ceph >/dev/null
    vols=$(docker volume ls -q --filter "label=$LABEL=$LAB_NAME" 2>/dev/null || true)
    [ -z "$vols" ] || docker volume rm $vols >/dev/null
    if [ "$(docker network inspect -f "{{index .Labels \"$LABEL\"}}" "$NET" 2>/dev/null)" = "$LAB_NAME" ]; then
        docker network rm "$NET" >/dev/null
    fi
    if [ "${LAB_KEEP_STATE:-0}" = 1 ]; then rm -f "$LAB_STATE/up.ok"; else rm -rf "$LAB_STATE"; fi
    log "phase down: $(elapsed "$t")s (removed $(echo $nodes $ceph | wc -w) containers, $(echo $vols | wc -w) volumes)"
}

# ----------------------------------------------------------------------------- status, env, ssh
cmd_status() {
    local i c
    docker ps -a --filter "label=$LABEL=$LAB_NAME" --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}'
    lab_is_up && echo "state: up ($LAB_STATE/up.ok)" || echo "state: not up"
    for i in $(seq 1 "$LAB_NODES"); do
        c=$(node_ctr "$i")
        [ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" = true ] || { echo "node$i: not running"; continue; }
        printf 'node%s %s: systemd %s, vip %s, ceph-fuse mounts %s\n' "$i" "$(node_ip "$i")" \
            "$(docker exec "$c" systemctl is-system-running 2>/dev/null || true)" \
            "$(docker exec "$c" sh -c "ip -o addr | grep -qw '$LAB_VIP' && echo HOLDER || echo -")" \
            "$(docker exec "$c" awk '$3 ~ /^fuse\.ceph/ {n++} END {print n+0}' /proc/mounts)"
    done
    if [ "$(docker inspect -f '{{.State.Running}}' "$CEPH_CTR" 2>/dev/null)" = true ]; then
        docker exec "$CEPH_CTR" timeout 10 ceph health || true
    fi
}
cmd_env() {
    local i
    if [ "${1:-}" = --json ]; then
        printf '{\n  "name": "%s",\n  "stateDir": "%s",\n  "subnet": "%s",\n  "gateway": "%s",\n  "vip": "%s",\n' \
            "$LAB_NAME" "$LAB_STATE" "$LAB_SUBNET" "$LAB_GATEWAY" "$LAB_VIP"
        printf '  "sshKey": "%s",\n  "sshConfig": "%s",\n  "labScript": "%s",\n  "nodes": [\n' "$KEY" "$SSH_CONFIG" "$LAB_DIR/lab.sh"
        for i in $(seq 1 "$LAB_NODES"); do
            printf '    { "name": "node%s", "ip": "%s", "container": "%s" }%s\n' "$i" "$(node_ip "$i")" "$(node_ctr "$i")" \
                "$([ "$i" = "$LAB_NODES" ] || echo ,)"
        done
        printf '  ],\n  "ceph": %s\n}\n' "$(if [ "$LAB_CEPH" = 1 ]; then
            printf '{ "container": "%s", "monIp": "%s", "monAddr": "%s:6789", "monHost": "[v2:%s:3300,v1:%s:6789]", "fsName": "%s", "clientName": "%s", "path": "%s", "confPath": "%s", "secretPath": "%s", "keyringPath": "%s", "adminKeyringPath": "%s" }' \
                "$CEPH_CTR" "$LAB_CEPH_IP" "$LAB_CEPH_IP" "$LAB_CEPH_IP" "$LAB_CEPH_IP" "$LAB_CEPH_FS" "$LAB_CEPH_CLIENT" \
                "$LAB_CEPH_PATH" "$CEPH_DIR/ceph.conf" "$CEPH_DIR/$LAB_CEPH_CLIENT.secret" \
                "$CEPH_DIR/ceph.client.$LAB_CEPH_CLIENT.keyring" "$CEPH_DIR/ceph.client.admin.keyring"
        else echo null; fi)"
        return
    fi
    echo "LAB_NAME=$LAB_NAME"
    echo "LAB_STATE=$LAB_STATE"
    echo "LAB_SUBNET=$LAB_SUBNET"
    echo "LAB_VIP=$LAB_VIP"
    echo "LAB_NODES=$LAB_NODES"
    for i in $(seq 1 "$LAB_NODES"); do echo "NODE${i}_IP=$(node_ip "$i")"; done
    echo "LAB_SSH_KEY=$KEY"
    echo "LAB_SSH_CONFIG=$SSH_CONFIG"
    if [ "$LAB_CEPH" = 1 ]; then
        echo "CEPH_MON_IP=$LAB_CEPH_IP"
        echo "CEPH_MON_ADDR=$LAB_CEPH_IP:6789"
        echo "CEPH_FS=$LAB_CEPH_FS"
        echo "CEPH_CLIENT=$LAB_CEPH_CLIENT"
        echo "CEPH_PATH=$LAB_CEPH_PATH"
        echo "CEPH_CONF=$CEPH_DIR/ceph.conf"
        echo "CEPH_SECRET_FILE=$CEPH_DIR/$LAB_CEPH_CLIENT.secret"
        echo "CEPH_KEYRING=$CEPH_DIR/ceph.client.$LAB_CEPH_CLIENT.keyring"
        echo "CEPH_ADMIN_KEYRING=$CEPH_DIR/ceph.client.admin.keyring"
    fi
}
cmd_ssh() {
    local n=${1:?usage: lab.sh ssh N [command]}; shift
    exec ssh -F "$SSH_CONFIG" "root@$(node_ip "$n")" "$@"
}
cmd_run() {
    [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "usage: lab.sh run -- command..."
    cmd_up
    trap 'rc=$?; trap - EXIT; cmd_down; exit $rc' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$@"
}
cmd_test() { # lab.sh test [spec files...] [mocha options]: all of tests/lab/*.test.ts by default
    cd "$REPO_DIR"
    local a files=0
    for a in "$@"; do case $a in *.test.ts) files=1 ;; esac; done
    if [ $files = 1 ]; then
        # mocha adds CLI specs to the config's spec list: drop the config's to run only these
        HARBOR_HA_LAB=1 exec npx mocha --no-config -r ts-node/register/transpile-only --extension ts \
            --timeout 600000 --slow 30000 --exit "$@"
    fi
    HARBOR_HA_LAB=1 exec npx mocha --config tests/lab/mocharc.json "$@"
}

case "${1:-}" in
    prereqs) cmd_prereqs ;;
    build) cmd_build ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) shift; cmd_env "$@" ;;
    ssh) shift; cmd_ssh "$@" ;;
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
