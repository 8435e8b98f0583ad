/**
 * haproxy + keepalived on a node: config rendering and the scripts that install, validate and
 * (re)load them. Works with systemd, and without it (minimal images, the test lab) by managing
 * the daemons through their pid files.
 */
import * as ipaddr from "ipaddr.js";
import { ClusterSpec, NodeSpec } from "../config/spec";
import { NodeProbe } from "../profiles/types";
import { renderTemplate } from "../render/template";
import { dirOf, ensurePackages, q, script, writeCheckedContentTo, writeContentTo } from "./shell";

export const LB_PATHS = {
    haproxyCfg: "/etc/haproxy/haproxy.cfg",
    keepalivedCfg: "/etc/keepalived/keepalived.conf",
    checkScript: "/etc/keepalived/harbor-ha-check.sh",
    haproxyPid: "/run/haproxy.pid",
    keepalivedPid: "/run/keepalived.pid",
    statsSocket: "/run/haproxy-harbor-ha.sock",
    /** Names of this host's drained instances, one per line: haproxy's health frontends read it. */
    drainList: "/var/lib/harbor-ha-lb/drained.lst",
    /**
     * One file per VRRP peer, written by that peer's own resources: a node's main config never
     * changes when another node joins or leaves, so a leaving node stops its keepalived before the
     * others stop sending it adverts (no moment where it hears nobody and claims the VIP too).
     */
    peersDir: "/etc/keepalived/harbor-ha-peers",
};

/** Where one host's haproxy keeps its files, and whether it is the distribution's service. */
export interface HaproxyPaths {
    cfg: string;
    pid: string;
    statsSocket: string;
    drainList: string;
    /** false: harbor-ha's own instance (loadBalancer.haproxyDir), started from its pid file only. */
    service: boolean;
}

export function haproxyPaths(spec: ClusterSpec): HaproxyPaths {
    const dir = spec.loadBalancer.haproxyDir;
    if (dir === undefined)
        return { cfg: LB_PATHS.haproxyCfg, pid: LB_PATHS.haproxyPid, statsSocket: LB_PATHS.statsSocket, drainList: LB_PATHS.drainList, service: true };
    return { cfg: `${dir}/haproxy.cfg`, pid: `${dir}/haproxy.pid`, statsSocket: `${dir}/haproxy.sock`, drainList: `${dir}/drained.lst`, service: false };
}

/** haproxy's spelling of a bind address: "*" for every address. */
export function bindAddress(listenAddress: string): string {
    return listenAddress === "0.0.0.0" ? "*" : listenAddress;
}

export interface LbBackend {
    name: string;
    address: string;
    /** The node's Harbor proxy port (clients' traffic). */
    port: number;
    /** The node's haproxy health frontend (plain HTTP). */
    healthPort: number;
}

/** One Harbor instance on this balancer's host, with its node-local probes. */
export interface LocalInstance {
    name: string;
    healthPort: number;
    /** haproxy bind address of its health frontend (bindAddress of the node's listenAddress). */
    listen: string;
    probes: NodeProbe[];
}

/** The Harbor proxy port each node serves clients on. */
export function backendPort(spec: ClusterSpec, node: NodeSpec): number {
    return spec.harbor.protocol === "https" ? node.httpsPort : node.httpPort;
}

/** haproxy's check interval for the other nodes' health frontends. */
export function checkIntervalMs(spec: ClusterSpec): number {
    return Math.round(spec.loadBalancer.advertIntervalSeconds * 1000);
}

export function renderHaproxyConfig(spec: ClusterSpec, node: NodeSpec, backends: LbBackend[], localInstances: LocalInstance[]): string {
    return renderTemplate("lb/haproxy.cfg.njk", {
        nodeName: node.name,
        frontendPort: spec.loadBalancer.frontendPort,
        listen: spec.loadBalancer.listenAddress,
        httpRedirectPort: spec.loadBalancer.httpRedirectPort,
        externalUrl: spec.harbor.externalUrl,
        checkIntervalMs: checkIntervalMs(spec),
        statsSocket: haproxyPaths(spec).statsSocket,
        drainList: haproxyPaths(spec).drainList,
        backends,
        localInstances,
    });
}

/** `hasPeers`: other keepalived hosts exist (their addresses arrive as files in LB_PATHS.peersDir). */
export function renderKeepalivedConfig(spec: ClusterSpec, node: NodeSpec, hasPeers: boolean): string {
    const lb = spec.loadBalancer;
    return renderTemplate("lb/keepalived.conf.njk", {
        nodeName: node.name,
        checkScript: LB_PATHS.checkScript,
        interface: lb.interface,
        virtualRouterId: lb.virtualRouterId,
        priority: node.priority,
        preemptDelay: lb.preemptDelaySeconds,
        advertInterval: lb.advertIntervalSeconds,
        address: node.address,
        peersInclude: hasPeers ? `${LB_PATHS.peersDir}/*.conf` : undefined,
        vip: lb.vip,
        prefixLength: ipaddr.IPv4.parseCIDR(lb.subnet!)[1],
    });
}

export function renderHealthCheckScript(spec: ClusterSpec): string {
    return renderTemplate("lb/harbor-health-check.sh.njk", { frontendPort: spec.loadBalancer.frontendPort });
}

const reloadKeepalived = `if ${"[ -d /run/systemd/system ]"} && systemctl -q is-active keepalived 2>/dev/null; then systemctl reload keepalived; ` +
    `elif [ -f ${LB_PATHS.keepalivedPid} ] && kill -0 "$(cat ${LB_PATHS.keepalivedPid})" 2>/dev/null; then kill -HUP "$(cat ${LB_PATHS.keepalivedPid})"; fi`;

/** Runs on a node: makes `peer` one of its VRRP unicast peers. */
export function vrrpPeerCreate(peer: NodeSpec): string {
    const file = `${LB_PATHS.peersDir}/${peer.name}.conf`;
    return script("CHANGED=0", writeContentTo(file, `${peer.address}\n`, "0644"), `[ "$CHANGED" = 0 ] || { ${reloadKeepalived}; }`);
}

/** Runs on a node once `peer`'s keepalived has stopped: forgets it. */
export function vrrpPeerDelete(peer: NodeSpec): string {
    const file = `${LB_PATHS.peersDir}/${peer.name}.conf`;
    return script(`if [ -f ${q(file)} ]; then rm -f ${q(file)}; ${reloadKeepalived}; fi`, `rmdir ${q(LB_PATHS.peersDir)} 2>/dev/null || true`);
}

const hasSystemd = "[ -d /run/systemd/system ]";
/** First line of every config harbor-ha writes: tells ours from the distribution's or the admin's. */
const OWN_CONFIG_MARK = "# harbor-ha";
const originalCopy = (path: string) => `${path}.harbor-ha-orig`;

/** Keeps the file that was there before harbor-ha's first write (once; never one of ours). */
function keepOriginal(path: string): string {
    return `if [ -f ${q(path)} ] && [ ! -e ${q(originalCopy(path))} ] && ! head -n 1 ${q(path)} | grep -q ${q("^" + OWN_CONFIG_MARK)}; then cp -p ${q(path)} ${q(originalCopy(path))}; fi`;
}

/** Puts the pre-harbor-ha file back, or removes ours when there was none. */
function restoreOriginal(path: string): string {
    return `if [ -e ${q(originalCopy(path))} ]; then mv -f ${q(originalCopy(path))} ${q(path)}; ` +
        `elif [ -f ${q(path)} ] && head -n 1 ${q(path)} | grep -q ${q("^" + OWN_CONFIG_MARK)}; then rm -f ${q(path)}; fi`;
}
const running = (pidFile: string) => `{ [ -f ${pidFile} ] && kill -0 "$(cat ${pidFile})" 2>/dev/null; }`;

/** Install if missing, write + validate the config, then start or reload only if it changed. */
export function haproxyCreate(cfg: string, p: HaproxyPaths): string {
    // A reload hands the listening sockets over (-x): no SYN is lost while the old process exits.
    // Paths unquoted: constants or loadBalancer.haproxyDir (an absolute path without shell characters).
    const reload = `haproxy -D -f ${p.cfg} -p ${p.pid} -x ${p.statsSocket} -sf "$(cat ${p.pid})"`;
    const start = `haproxy -D -f ${p.cfg} -p ${p.pid}`;
    return script(
        "CHANGED=0",
        ensurePackages("haproxy", ["haproxy"]),
        // socat talks to the stats socket: drains take effect without a reload.
        ensurePackages("socat", ["socat"]),
        // The health frontends read the drain list at start; it must exist.
        `install -d -m 0755 ${q(dirOf(p.drainList))}; touch ${q(p.drainList)}`,
        ...(p.service ? [keepOriginal(p.cfg)] : [`install -d -m 0700 ${q(dirOf(p.cfg))}`]),
        // Validated before it replaces anything, so a bad render never takes down a running balancer.
        writeCheckedContentTo(p.cfg, cfg, "0644", "haproxy -c", `haproxy -c -f "$FILE"`),
        ...(p.service
            ? [
                `if ${hasSystemd}; then systemctl enable -q haproxy 2>/dev/null || true; if [ "$CHANGED" = 1 ] || ! systemctl -q is-active haproxy; then systemctl reload-or-restart haproxy; fi`,
                `elif ${running(p.pid)}; then [ "$CHANGED" = 0 ] || ${reload}`,
                `else ${start}; fi`,
            ]
            : [`if ${running(p.pid)}; then [ "$CHANGED" = 0 ] || ${reload}; else ${start}; fi`]),
        `echo "haproxy: running"`,
    );
}

export function haproxyDelete(p: HaproxyPaths): string {
    const stop = `if ${running(p.pid)}; then kill "$(cat ${p.pid})"; fi; rm -f ${p.pid}`;
    return script(
        ...(p.service
            ? [`if ${hasSystemd}; then systemctl disable -q --now haproxy 2>/dev/null || true;`, `elif ${running(p.pid)}; then kill "$(cat ${p.pid})"; rm -f ${p.pid}; fi`, restoreOriginal(p.cfg)]
            : [stop, `rm -f ${q(p.cfg)}`]),
        `rm -f ${q(p.drainList)} ${q(p.statsSocket)}; rmdir ${q(dirOf(p.drainList))} 2>/dev/null || true`,
        ...(p.service ? [] : [`rmdir ${q(dirOf(p.cfg))} 2>/dev/null || true`]),
        `echo "haproxy: stopped"`,
    );
}

export function keepalivedCreate(cfg: string, checkScript: string): string {
    const p = LB_PATHS;
    return script(
        "CHANGED=0",
        ensurePackages("keepalived", ["keepalived"]),
        writeContentTo(p.checkScript, checkScript, "0755"),
        `install -d -m 0755 ${q(p.peersDir)}`,
        keepOriginal(p.keepalivedCfg),
        // Checked before it is installed: a config keepalived rejects never replaces the running one.
        writeCheckedContentTo(p.keepalivedCfg, cfg, "0644", "keepalived -t", `keepalived -t -l -f "$FILE"`),
        `if ${hasSystemd}; then systemctl enable -q keepalived 2>/dev/null || true; if [ "$CHANGED" = 1 ] || ! systemctl -q is-active keepalived; then systemctl reload-or-restart keepalived; fi`,
        `elif ${running(p.keepalivedPid)}; then [ "$CHANGED" = 0 ] || kill -HUP "$(cat ${p.keepalivedPid})"`,
        // A new keepalived started while the old one exits says "already running" and quits: wait.
        `else for i in $(seq 1 50); do [ -f ${p.keepalivedPid} ] || break; sleep 0.1; done; keepalived -f ${p.keepalivedCfg} -p ${p.keepalivedPid}; fi`,
        `echo "keepalived: running"`,
    );
}

export function keepalivedDelete(): string {
    const p = LB_PATHS;
    return script(
        // Stopping keepalived sends priority 0: a peer takes the VIP at once (preempt_delay does
        // not apply to a master that resigns).
        `if ${hasSystemd}; then systemctl disable -q --now keepalived 2>/dev/null || true;`,
        `elif ${running(p.keepalivedPid)}; then kill "$(cat ${p.keepalivedPid})"; fi`,
        `rm -f ${p.checkScript}`,
        restoreOriginal(p.keepalivedCfg),
        `echo "keepalived: stopped"`,
    );
}
