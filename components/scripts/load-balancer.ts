/**
 * haproxy + keepalived on a node: config rendering and the scripts that install, validate and
 * (re)load them. Works with systemd, and without it (minimal images, the test lab) by managing
 * the daemons through their pid files.
 */
import * as ipaddr from "ipaddr.js";
import { ClusterSpec, NodeSpec } from "../config/spec";
import { renderTemplate } from "../render/template";
import { ensurePackages, q, script, writeContentTo } from "./shell";

export const LB_PATHS = {
    haproxyCfg: "/etc/haproxy/haproxy.cfg",
    keepalivedCfg: "/etc/keepalived/keepalived.conf",
    checkScript: "/etc/keepalived/harbor-ha-check.sh",
    haproxyPid: "/run/haproxy.pid",
    keepalivedPid: "/run/keepalived.pid",
};

export interface LbBackend {
    name: string;
    address: string;
    port: number;
}

/** The Harbor proxy port each node serves clients on. */
export function backendPort(spec: ClusterSpec, node: NodeSpec): number {
    return spec.harbor.protocol === "https" ? node.httpsPort : node.httpPort;
}

/**
 * ERE that a healthy /api/v2.0/health body matches: the overall status closes the JSON object.
 * Harbor writes compact JSON with `status` after `components`; each component has a `status`
 * too, so a match anywhere else would accept an unhealthy node. Shared by haproxy and keepalived.
 */
export const HEALTHY_BODY_REGEX = String.raw`"status"[[:space:]]*:[[:space:]]*"healthy"[[:space:]]*[}][[:space:]]*$`;

export function renderHaproxyConfig(spec: ClusterSpec, node: NodeSpec, backends: LbBackend[]): string {
    return renderTemplate("lb/haproxy.cfg.njk", {
        nodeName: node.name,
        frontendPort: spec.loadBalancer.frontendPort,
        hostname: spec.harbor.hostname,
        https: spec.harbor.protocol === "https",
        checkIntervalMs: Math.round(spec.loadBalancer.advertIntervalSeconds * 1000),
        healthyBodyRegex: q(HEALTHY_BODY_REGEX),
        backends,
    });
}

export function renderKeepalivedConfig(spec: ClusterSpec, node: NodeSpec, peers: string[]): string {
    const lb = spec.loadBalancer;
    return renderTemplate("lb/keepalived.conf.njk", {
        nodeName: node.name,
        checkScript: LB_PATHS.checkScript,
        interface: lb.interface,
        virtualRouterId: lb.virtualRouterId,
        priority: node.priority,
        advertInterval: lb.advertIntervalSeconds,
        address: node.address,
        peers,
        vip: lb.vip,
        prefixLength: ipaddr.IPv4.parseCIDR(lb.subnet!)[1],
    });
}

export function renderHealthCheckScript(spec: ClusterSpec, node: NodeSpec): string {
    const scheme = spec.harbor.protocol;
    return renderTemplate("lb/harbor-health-check.sh.njk", {
        hostname: spec.harbor.hostname,
        healthUrl: `${scheme}://127.0.0.1:${backendPort(spec, node)}/api/v2.0/health`,
        healthyBodyRegex: q(HEALTHY_BODY_REGEX),
    });
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
export function haproxyCreate(cfg: string): string {
    const p = LB_PATHS;
    const tmp = `${p.haproxyCfg}.harbor-ha-check`;
    return script(
        "CHANGED=0",
        ensurePackages("haproxy", ["haproxy"]),
        // Validate before replacing, so a bad render never takes down a running balancer.
        `install -d -m 0755 /etc/haproxy; printf '%s' ${q(cfg)} > ${tmp}`,
        `haproxy -c -q -f ${tmp} || { echo "harbor-ha: rendered haproxy config rejected by haproxy -c" >&2; rm -f ${tmp}; exit 1; }`,
        `rm -f ${tmp}`,
        keepOriginal(p.haproxyCfg),
        writeContentTo(p.haproxyCfg, cfg, "0644"),
        `if ${hasSystemd}; then systemctl enable -q haproxy 2>/dev/null || true; if [ "$CHANGED" = 1 ] || ! systemctl -q is-active haproxy; then systemctl reload-or-restart haproxy; fi`,
        `elif ${running(p.haproxyPid)}; then [ "$CHANGED" = 0 ] || haproxy -D -f ${p.haproxyCfg} -p ${p.haproxyPid} -sf "$(cat ${p.haproxyPid})"`,
        `else haproxy -D -f ${p.haproxyCfg} -p ${p.haproxyPid}; fi`,
        `echo "haproxy: running"`,
    );
}

export function haproxyDelete(): string {
    const p = LB_PATHS;
    return script(
        `if ${hasSystemd}; then systemctl disable -q --now haproxy 2>/dev/null || true;`,
        `elif ${running(p.haproxyPid)}; then kill "$(cat ${p.haproxyPid})"; rm -f ${p.haproxyPid}; fi`,
        restoreOriginal(p.haproxyCfg),
        `echo "haproxy: stopped"`,
    );
}

export function keepalivedCreate(cfg: string, checkScript: string): string {
    const p = LB_PATHS;
    return script(
        "CHANGED=0",
        ensurePackages("keepalived", ["keepalived"]),
        ensurePackages("curl", ["curl"]),
        writeContentTo(p.checkScript, checkScript, "0755"),
        keepOriginal(p.keepalivedCfg),
        writeContentTo(p.keepalivedCfg, cfg, "0644"),
        `keepalived -t -f ${p.keepalivedCfg} >/dev/null 2>&1 || { echo "harbor-ha: keepalived -t rejected ${p.keepalivedCfg}" >&2; exit 1; }`,
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
        // Stopping keepalived sends priority 0, so a peer takes the VIP at once.
        `if ${hasSystemd}; then systemctl disable -q --now keepalived 2>/dev/null || true;`,
        `elif ${running(p.keepalivedPid)}; then kill "$(cat ${p.keepalivedPid})"; fi`,
        `rm -f ${p.checkScript}`,
        restoreOriginal(p.keepalivedCfg),
        `echo "keepalived: stopped"`,
    );
}
