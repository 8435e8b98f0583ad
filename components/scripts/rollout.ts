/**
 * The two host scripts that bracket a change to one node's Harbor: drain (before the containers
 * are replaced) and gate (after). Both run on the node itself. The node's own haproxy health
 * frontend is the switch every balancer reads: the drain list puts the node into "drained"
 * (404: no new connections, open ones finish), the gate takes it out once the node's own
 * components answer again.
 */
import { ClusterSpec, NodeSpec } from "../config/spec";
import { NodeProbe } from "../profiles/types";
import { backendPort, checkIntervalMs, haproxyPaths } from "./load-balancer";
import { dirOf, ensurePackages, q, script } from "./shell";

/** Runs one runtime-API command on this host's haproxy, if one runs (else the list file is read at its start). */
const haproxyApi = (sock: string, cmd: string) =>
    `if [ -S ${q(sock)} ] && command -v socat >/dev/null 2>&1; then echo ${q(cmd)} | socat -t 2 - UNIX-CONNECT:${q(sock)} >/dev/null || true; fi`;

/**
 * True when this host's running haproxy serves `node`'s health frontend. Not the socket file
 * alone: a stopped haproxy leaves it behind (seen after destroy and a new up), and a gate that
 * then waited for a frontend nobody serves failed after its whole timeout.
 */
const servesFrontend = (sock: string, node: string) =>
    `{ [ -S ${q(sock)} ] && command -v socat >/dev/null 2>&1 && echo 'show stat' | socat -t 2 - UNIX-CONNECT:${q(sock)} 2>/dev/null | grep -q ${q(`^harbor_ha_health_${node},FRONTEND,`)}; }`;

/** Seconds until every balancer has polled this node's health frontend twice. */
function settleSeconds(spec: ClusterSpec): number {
    return Math.ceil((2 * checkIntervalMs(spec)) / 1000) + 1;
}

/** Waits (at most rollout.drainTimeoutSeconds) until no client connection to the node's proxy is open; leaves $open and $waited. */
function waitForOpenConnections(spec: ClusterSpec, node: NodeSpec): string[] {
    const established = `ss -Htn state established ${q(`( sport = :${backendPort(spec, node)} )`)} | wc -l`;
    return [
        `waited=0; open=$(${established})`,
        `while [ "$open" -gt 0 ] && [ "$waited" -lt ${spec.rollout.drainTimeoutSeconds} ]; do sleep 1; waited=$((waited + 1)); open=$(${established}); done`,
    ];
}

export function drainScript(spec: ClusterSpec, node: NodeSpec): string {
    const { statsSocket: sock, drainList: list } = haproxyPaths(spec);
    const port = backendPort(spec, node);
    const limit = spec.rollout.drainTimeoutSeconds;
    return script(
        `install -d -m 0755 ${q(dirOf(list))}; touch ${q(list)}`,
        `grep -qxF ${q(node.name)} ${q(list)} || echo ${q(node.name)} >> ${q(list)}`,
        haproxyApi(sock, `add acl ${list} ${node.name}`),
        // A node that serves nothing yet (first creation) has nothing to drain.
        `if ! ss -Hltn ${q(`( sport = :${port} )`)} | grep -q .; then echo ${q(`harbor-ha: ${node.name} drained (not serving yet)`)}; exit 0; fi`,
        `sleep ${settleSeconds(spec)}`,
        ...waitForOpenConnections(spec, node),
        `if [ "$open" -gt 0 ]; then echo "harbor-ha: ${node.name} drained; $open connection(s) still open after ${limit} s (rollout.drainTimeoutSeconds), going on"; ` +
            `else echo "harbor-ha: ${node.name} drained; no open connections after $waited s"; fi`,
    );
}

/**
 * A node leaving the stack: its balancer is gone and the others no longer send it new
 * connections; wait (bounded) for the open ones before its containers are removed.
 */
export function retireScript(spec: ClusterSpec, node: NodeSpec): string {
    return script(
        ...waitForOpenConnections(spec, node),
        `echo "harbor-ha: ${node.name} retired; $open connection(s) open after $waited s"`,
    );
}

function probeCommand(p: NodeProbe): string {
    if (p.kind === "http") return `curl -fsS -o /dev/null --max-time 2 ${q(`http://${p.address}:${p.port}${p.path ?? "/"}`)}`;
    return `timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${q(p.address)} ${p.port}`;
}

export function gateScript(spec: ClusterSpec, node: NodeSpec, probes: NodeProbe[]): string {
    const limit = spec.rollout.gateTimeoutSeconds;
    const { statsSocket: sock, drainList: list } = haproxyPaths(spec);
    const frontendHost = node.listenAddress === "0.0.0.0" ? "127.0.0.1" : node.listenAddress;
    const frontend = `http://${frontendHost}:${node.healthPort}/harbor-ha/node-health`;
    const fail = (what: string) =>
        `echo "harbor-ha: node ${node.name}: ${what} after ${limit} s (rollout.gateTimeoutSeconds); ` +
        `${node.name} stays drained and the other nodes keep serving. Fix it and run pulumi up again." >&2; exit 1`;
    return script(
        ensurePackages("curl", ["curl"]),
        `deadline=$(( $(date +%s) + ${limit} ))`,
        // Every local component must answer, three times in a row.
        `ok=0; while [ "$ok" -lt 3 ]; do failed=""`,
        ...probes.map((p) => `  ${probeCommand(p)} >/dev/null 2>&1 || failed="$failed ${p.component}"`),
        `  if [ -z "$failed" ]; then ok=$((ok + 1)); else ok=0; fi`,
        `  if [ "$ok" -lt 3 ] && [ "$(date +%s)" -ge "$deadline" ]; then ${fail("$failed not answering")}; fi`,
        `  [ "$ok" -ge 3 ] || sleep 1`,
        `done`,
        // When haproxy serves this node's frontend, its own probes must agree (404 = components up, still drained).
        `if ${servesFrontend(sock, node.name)}; then FRONTEND=1; else FRONTEND=0; fi`,
        `if [ "$FRONTEND" = 1 ]; then`,
        `  until curl -s -o /dev/null -w "%{http_code}" --max-time 2 ${q(frontend)} | grep -qE "^(200|404)$"; do`,
        `    if [ "$(date +%s)" -ge "$deadline" ]; then ${fail("haproxy's health frontend not reporting the node up")}; fi; sleep 1`,
        `  done`,
        `fi`,
        `grep -vxF ${q(node.name)} ${q(list)} > ${q(list + ".new")} || true; mv -f ${q(list + ".new")} ${q(list)}`,
        haproxyApi(sock, `del acl ${list} ${node.name}`),
        // Give every balancer time to see it up before the next wave drains another node.
        `if [ "$FRONTEND" = 1 ]; then sleep ${settleSeconds(spec)}; fi`,
        `echo "harbor-ha: ${node.name} healthy and back in rotation"`,
    );
}
