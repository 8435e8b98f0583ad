/**
 * Stack config -> ClusterSpec. Runs before any resource is declared; on bad input it throws one
 * ConfigError listing every problem, each naming the config key and the fix. Secret values are
 * wrapped with pulumi.secret() here and never appear in an error message.
 */
import { createHash, X509Certificate } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { pemKeys, plainKeys, SecretKey, secretKeys } from "./schema";
import { ClusterSpec, NodeSpec, SecretInputs } from "./spec";
import { SETTING_SINCE } from "../profiles/v2/releases";
import { atLeast } from "../profiles/version";

/** Raw stack config as Pulumi hands it to the program: `<project>:<key>` -> string. */
export interface RawConfig {
    project: string;
    values: Record<string, string>;
    /** Full keys (`<project>:<key>`) that were set with --secret. */
    secretKeys: ReadonlySet<string>;
}

export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Reads the running program's stack config. */
export function readRawConfig(): RawConfig {
    const project = pulumi.getProject();
    const all = pulumi.runtime.allConfig();
    // isConfigSecret is exported by the SDK's runtime/config module but not re-exported at the top.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };
    const secret = new Set(Object.keys(all).filter((k) => isConfigSecret(k)));
    return { project, values: all, secretKeys: secret };
}

type Parsed = { [K in keyof typeof plainKeys]: z.output<(typeof plainKeys)[K]> };

function keyPath(project: string, key: string, path: (string | number)[]): string {
    let s = `${project}:${key}`;
    for (const p of path) s += typeof p === "number" ? `[${p}]` : `.${p}`;
    return s;
}

export function loadClusterSpec(raw: RawConfig): ClusterSpec {
    const problems: string[] = [];
    const { project } = raw;
    const full = (k: string) => `${project}:${k}`;
    const known = new Set<string>([...Object.keys(plainKeys), ...secretKeys, ...pemKeys].map(full));

    for (const k of Object.keys(raw.values)) {
        if (k.startsWith(`${project}:`) && !known.has(k)) {
            problems.push(`${k}: unknown key; valid keys are ${[...known].map((x) => x.split(":")[1]).join(", ")}`);
        }
    }

    const parsed: Partial<Parsed> = {};
    for (const [key, schema] of Object.entries(plainKeys) as [keyof typeof plainKeys, z.ZodTypeAny][]) {
        const text = raw.values[full(key)];
        let value: unknown = undefined;
        if (text !== undefined) {
            try {
                value = JSON.parse(text);
            } catch {
                problems.push(`${full(key)}: must be a YAML object/list in Pulumi.<stack>.yaml (could not parse it as structured config)`);
                continue;
            }
        }
        if (value === undefined && !(schema instanceof z.ZodDefault)) {
            problems.push(`${full(key)}: missing; set it in Pulumi.<stack>.yaml (see README "Config reference")`);
            continue;
        }
        const res = schema.safeParse(value);
        if (!res.success) {
            for (const issue of res.error.issues) problems.push(describeIssue(project, key, issue));
        } else {
            (parsed as Record<string, unknown>)[key] = res.data;
        }
    }

    const secrets: SecretInputs = {};
    for (const key of secretKeys) {
        const text = raw.values[full(key)];
        if (text === undefined) continue;
        if (!raw.secretKeys.has(full(key))) {
            // Never echo the value: it is a secret that was stored in plain text.
            problems.push(
                `${full(key)}: is stored in plain text; it must be a secret: run \`pulumi config set --secret ${key} <value>\``,
            );
            continue;
        }
        secrets[key as SecretKey] = pulumi.secret(text);
    }

    if (problems.length === 0) crossChecks(project, parsed as Parsed, raw, problems);
    if (problems.length > 0) throw new ConfigError(problems);
    return buildSpec(project, parsed as Parsed, raw, secrets);
}

function describeIssue(project: string, key: string, issue: z.ZodIssue): string {
    const where = keyPath(project, key, issue.path);
    if (issue.code === "unrecognized_keys") {
        const hint = issue.keys.some((k) => /pass|secret|key$/i.test(k))
            ? "; secrets are separate keys set with `pulumi config set --secret`"
            : "";
        return `${where}: unknown field(s) ${issue.keys.join(", ")}${hint}`;
    }
    if (issue.code === "invalid_type" && issue.received === "undefined") return `${where}: missing (required)`;
    return `${where}: ${issue.message}`;
}

function inSubnet(ip: string, subnet: string): boolean {
    return ipaddr.IPv4.parse(ip).match(ipaddr.IPv4.parseCIDR(subnet));
}

function crossChecks(project: string, p: Parsed, raw: RawConfig, problems: string[]): void {
    const k = (s: string) => `${project}:${s}`;
    const has = (key: string) => raw.values[k(key)] !== undefined;

    const seenNames = new Map<string, number>();
    const seenAddr = new Map<string, number>();
    p.nodes.forEach((n, i) => {
        if (seenNames.has(n.name)) problems.push(`${k(`nodes[${i}].name`)}: duplicate node name "${n.name}" (also nodes[${seenNames.get(n.name)}])`);
        seenNames.set(n.name, i);
        // Two instances may share an address only when they share one Docker engine on purpose (local dev).
        if (n.transport === "ssh") {
            if (seenAddr.has(n.address)) problems.push(`${k(`nodes[${i}].address`)}: duplicate node address ${n.address} (also nodes[${seenAddr.get(n.address)}]); each ssh node is its own VM`);
            seenAddr.set(n.address, i);
        }
    });

    // Instances on the same host must not collide on host ports or Docker subnets.
    const byHost = new Map<string, number[]>();
    p.nodes.forEach((n, i) => byHost.set(n.address, [...(byHost.get(n.address) ?? []), i]));
    for (const idxs of byHost.values()) {
        if (idxs.length < 2) continue;
        const ports = new Map<number, string>();
        const subnets = new Map<string, number>();
        for (const i of idxs) {
            const n = p.nodes[i];
            for (const [field, v] of [["httpPort", n.httpPort], ["httpsPort", n.httpsPort], ["syslogPort", n.syslogPort], ["healthPort", n.healthPort]] as const) {
                if (ports.has(v)) problems.push(`${k(`nodes[${i}].${field}`)}: port ${v} already used by ${ports.get(v)} on the same host ${n.address}`);
                ports.set(v, `nodes[${i}].${field}`);
            }
            const sn = n.containerSubnet ?? p.containers.subnet;
            if (subnets.has(sn)) problems.push(`${k(`nodes[${i}].containerSubnet`)}: instances on one host need distinct container subnets (${sn} is also used by nodes[${subnets.get(sn)}])`);
            subnets.set(sn, i);
        }
    }

    const lb = p.loadBalancer;
    if (lb.mode === "keepalived") {
        if (!lb.vip) problems.push(`${k("loadBalancer.vip")}: missing; keepalived mode needs the virtual IP (or set loadBalancer.mode: external)`);
        if (!lb.subnet) problems.push(`${k("loadBalancer.subnet")}: missing; keepalived mode needs the node network CIDR, e.g. 10.0.0.0/24`);
        if (lb.vip && lb.subnet) {
            if (!inSubnet(lb.vip, lb.subnet)) problems.push(`${k("loadBalancer.vip")}: ${lb.vip} is outside loadBalancer.subnet ${lb.subnet}`);
            p.nodes.forEach((n, i) => {
                if (n.address === lb.vip) problems.push(`${k(`nodes[${i}].address`)}: equals the VIP ${lb.vip}; the VIP must be a free address`);
                else if (ipaddr.IPv4.isValidFourPartDecimal(n.address) && !inSubnet(n.address, lb.subnet!))
                    problems.push(`${k(`nodes[${i}].address`)}: ${n.address} is outside loadBalancer.subnet ${lb.subnet}; VRRP needs every node on that network`);
            });
        }
        if (p.nodes.some((n) => n.transport === "local") && p.nodes.length > 1 && new Set(p.nodes.map((n) => n.address)).size === 1)
            problems.push(`${k("loadBalancer.mode")}: keepalived needs separate hosts; for instances on one machine use loadBalancer.mode: haproxy`);
    }
    if (lb.mode !== "external" && p.harbor.protocol === "https" && lb.httpRedirect) {
        const front = lb.frontendPort ?? p.harbor.port ?? 443;
        if (lb.httpRedirectPort === front)
            problems.push(`${k("loadBalancer.httpRedirectPort")}: ${lb.httpRedirectPort} is also the frontend port; pick another port or set loadBalancer.httpRedirect: false`);
        p.nodes.forEach((n, i) => {
            for (const [field, v] of [["httpPort", n.httpPort], ["httpsPort", n.httpsPort], ["healthPort", n.healthPort]] as const)
                if (v === lb.httpRedirectPort)
                    problems.push(`${k(`nodes[${i}].${field}`)}: ${v} is loadBalancer.httpRedirectPort on the same host; change one of them or set loadBalancer.httpRedirect: false`);
        });
    }
    const prios = p.nodes.map((n) => n.priority).filter((x): x is number => x !== undefined);
    if (new Set(prios).size !== prios.length) problems.push(`${k("nodes")}: two nodes have the same priority; VRRP priorities must differ`);

    const st = p.storage;
    if (st.type === "cephfs") {
        if (!st.cephfs) problems.push(`${k("storage.cephfs")}: missing; storage.type cephfs needs monitors (e.g. cephfs: {monitors: ["10.0.0.5:6789"]})`);
        if (!has("cephKey")) problems.push(`${k("cephKey")}: missing; run \`pulumi config set --secret cephKey <key of client.${st.cephfs?.clientName ?? "harbor"}>\``);
    } else if (p.nodes.some((n) => n.transport === "ssh") && p.nodes.length > 1) {
        problems.push(`${k("storage.type")}: "local" is a directory on one machine; ${p.nodes.length} ssh nodes need storage.type: cephfs to share blobs`);
    }
    if (st.mountPoint === st.localRoot) problems.push(`${k("storage.localRoot")}: must differ from storage.mountPoint`);

    const db = p.database;
    if (db.engine !== "postgresql") problems.push(`${k("database.engine")}: Harbor 2.x supports only postgresql ("mysql" is for the Harbor 1.x profile)`);
    if (db.provision.enabled) {
        if (!has("databaseAdminPassword") && !p.devServices.enabled) problems.push(`${k("databaseAdminPassword")}: missing; database.provision.enabled needs it: \`pulumi config set --secret databaseAdminPassword <pw>\``);
    } else if (!has("databasePassword") && !p.devServices.enabled) {
        problems.push(`${k("databasePassword")}: missing; set Harbor's DB password with \`pulumi config set --secret databasePassword <pw>\`, or enable database.provision`);
    }
    if (db.import && !db.provision.enabled) problems.push(`${k("database.import")}: needs database.provision.enabled: true (the import runs with the admin login)`);

    const r = p.redis;
    if (r.mode === "standalone" && !r.host) problems.push(`${k("redis.host")}: missing; standalone Redis needs a host`);
    if (r.mode === "sentinel") {
        if (!r.sentinels || r.sentinels.length === 0) problems.push(`${k("redis.sentinels")}: missing; sentinel mode needs a list like ["10.0.0.7:26379"]`);
        if (!r.masterSet) problems.push(`${k("redis.masterSet")}: missing; sentinel mode needs the master set name (e.g. mymaster)`);
        if (r.host) problems.push(`${k("redis.host")}: not used in sentinel mode; remove it (Harbor finds the master through redis.sentinels)`);
    }

    releaseChecks(project, p, problems);
    const trusted = raw.values[k("trustedCaCertificates")];
    if (trusted !== undefined) {
        const problem = pemCertificatesProblem(trusted);
        if (problem) problems.push(`${k("trustedCaCertificates")}: ${problem}; set it with \`pulumi config set trustedCaCertificates -- "$(cat ca1.crt ca2.crt)"\``);
    }

    if (p.tls.mode === "provided") {
        if (!has("tlsCertificate")) problems.push(`${k("tlsCertificate")}: missing; tls.mode provided needs the PEM chain: \`pulumi config set tlsCertificate -- "$(cat server.crt)"\``);
        else if (!/-----BEGIN CERTIFICATE-----/.test(raw.values[k("tlsCertificate")]))
            problems.push(`${k("tlsCertificate")}: is not a PEM certificate (no BEGIN CERTIFICATE line)`);
        if (!has("tlsPrivateKey")) problems.push(`${k("tlsPrivateKey")}: missing; run \`pulumi config set --secret tlsPrivateKey -- "$(cat server.key)"\``);
    }
    if (p.harbor.protocol === "http" && p.tls.mode === "provided")
        problems.push(`${k("tls.mode")}: "provided" has no effect with harbor.protocol http; remove it or use https`);

    if (p.devServices.enabled && p.nodes.some((n) => n.transport === "ssh"))
        problems.push(`${k("devServices.enabled")}: dev services run on the local Docker engine; use them only with transport: local nodes`);
    if (p.nodes.some((n) => n.transport === "ssh") && !p.ssh.privateKeyPath && !p.ssh.agent)
        problems.push(`${k("ssh.privateKeyPath")}: missing; ssh nodes need a key file path (or ssh.agent: true)`);
}

/** Settings the chosen release's templates cannot carry (releases.ts SETTING_SINCE). */
function releaseChecks(project: string, p: Parsed, problems: string[]): void {
    const version = p.harbor.version;
    const refuse = (setting: keyof typeof SETTING_SINCE, key: string, fix: string) => {
        if (!atLeast(version, SETTING_SINCE[setting]))
            problems.push(`${project}:${key}: needs Harbor ${SETTING_SINCE[setting]} or later (harbor.version is ${version}); ${fix}`);
    };
    if (p.redis.tls) refuse("redis.tls", "redis.tls", "its registry cannot speak TLS to Redis: use a newer release or a plain-TCP Redis");
    if (p.redis.username) refuse("redis.username", "redis.username", "its registry cannot log in as an ACL user: use a newer release or Redis's default user");
    if (p.harbor.jobLoggers?.includes("DB")) refuse("harbor.jobLoggers DB", "harbor.jobLoggers", "older releases always log jobs to STD_OUTPUT and FILE: remove harbor.jobLoggers");
    if (p.harbor.maxJobDurationHours !== undefined) refuse("harbor.maxJobDurationHours", "harbor.maxJobDurationHours", "older releases stop a job after 24 h: remove the key");
}

/** Why `text` is not one or more PEM certificates (and nothing else), or undefined. */
export function pemCertificatesProblem(text: string): string | undefined {
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) return "holds no PEM certificate (no BEGIN CERTIFICATE ... END CERTIFICATE block)";
    const rest = blocks.reduce((t, b) => t.replace(b, ""), text);
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(rest)) return "holds a private key; only CA certificates belong here";
    if (rest.trim() !== "") return "holds text outside the PEM certificate blocks";
    for (const [i, b] of blocks.entries()) {
        try {
            new X509Certificate(b);
        } catch {
            return `certificate ${i + 1} of ${blocks.length} does not parse as X.509`;
        }
    }
    return undefined;
}

function buildSpec(project: string, p: Parsed, raw: RawConfig, secrets: SecretInputs): ClusterSpec {
    const h = p.harbor;
    const port = h.port ?? (h.protocol === "https" ? 443 : 80);
    const defaultPort = (h.protocol === "https" && port === 443) || (h.protocol === "http" && port === 80);
    const externalUrl = new URL(`${h.protocol}://${h.hostname}`);
    if (!defaultPort) externalUrl.port = String(port);

    const nodes: NodeSpec[] = p.nodes.map((n) => ({
        name: n.name,
        address: n.address,
        transport: n.transport,
        sshPort: n.sshPort,
        sshUser: p.ssh.user,
        hostKey: n.hostKey,
        httpPort: n.httpPort,
        httpsPort: n.httpsPort,
        syslogPort: n.syslogPort,
        healthPort: n.healthPort,
        containerSubnet: n.containerSubnet ?? p.containers.subnet,
        priority: n.priority ?? defaultPriority(n.name),
    }));

    const db = p.database;
    const dbPort = db.port ?? (db.engine === "postgresql" ? 5432 : 3306);
    const r = p.redis;
    const parseHp = (s: string) => {
        const [host, port] = s.split(":");
        return { host, port: Number(port) };
    };
    const endpoint = {
        mode: r.mode,
        server: r.mode === "standalone" ? { host: r.host!, port: r.port } : undefined,
        sentinels: r.mode === "sentinel" ? r.sentinels!.map(parseHp) : undefined,
        masterSet: r.masterSet,
        tls: r.tls,
        username: r.username,
        dbIndex: r.dbIndex,
        idleTimeoutSeconds: r.idleTimeoutSeconds,
        connectTimeoutSeconds: 5,
    };
    const probeEndpoint = r.probeHost
        ? {
              ...endpoint,
              server: endpoint.server && { ...endpoint.server, host: r.probeHost },
              sentinels: endpoint.sentinels?.map((s) => ({ ...s, host: r.probeHost! })),
          }
        : endpoint;

    const pem = (key: string) => {
        const v = raw.values[`${project}:${key}`];
        return v === undefined ? undefined : pulumi.output(v);
    };

    return {
        project,
        harbor: {
            version: h.version,
            profile: "v2",
            imageRegistry: h.imageRegistry,
            hostname: h.hostname,
            protocol: h.protocol,
            port,
            externalUrl: externalUrl.toString().replace(/\/$/, ""),
            trivy: h.trivy,
            logLevel: h.logLevel,
            maxJobWorkers: h.maxJobWorkers,
            jobLoggers: h.jobLoggers ?? (atLeast(h.version, SETTING_SINCE["harbor.jobLoggers DB"]) ? ["DB"] : ["STD_OUTPUT", "FILE"]),
            maxJobDurationHours: h.maxJobDurationHours ?? 24,
            jobLogSweeperDays: h.jobLogSweeperDays,
            logRotateCount: h.logRotateCount,
            logRotateSize: h.logRotateSize,
        },
        nodes,
        ssh: p.ssh,
        containers: { restart: p.containers.restart },
        loadBalancer: {
            mode: p.loadBalancer.mode,
            vip: p.loadBalancer.vip,
            subnet: p.loadBalancer.subnet,
            interface: p.loadBalancer.interface,
            virtualRouterId: p.loadBalancer.virtualRouterId,
            advertIntervalSeconds: p.loadBalancer.advertIntervalSeconds,
            preemptDelaySeconds: p.loadBalancer.preemptDelaySeconds,
            frontendPort: p.loadBalancer.frontendPort ?? port,
            httpRedirectPort: h.protocol === "https" && p.loadBalancer.httpRedirect ? p.loadBalancer.httpRedirectPort : undefined,
        },
        rollout: {
            maxUnavailable: p.rollout.maxUnavailable ?? defaultMaxUnavailable(p.nodes.length),
            drainTimeoutSeconds: p.rollout.drainTimeoutSeconds,
            gateTimeoutSeconds: p.rollout.gateTimeoutSeconds,
        },
        storage: p.storage,
        database: {
            server: { engine: db.engine, host: db.host, port: dbPort, sslmode: db.sslmode, connectTimeoutSeconds: 5 },
            target: { database: db.name, user: db.user },
            maxIdleConns: db.maxIdleConns,
            maxOpenConns: db.maxOpenConns,
            connMaxLifetime: db.connMaxLifetime,
            connMaxIdleTime: db.connMaxIdleTime,
            provision: {
                enabled: db.provision.enabled,
                adminUser: db.provision.adminUser,
                adminDatabase: db.provision.adminDatabase ?? (db.engine === "postgresql" ? "postgres" : "mysql"),
                adminHost: db.provision.adminHost ?? db.host,
                adminPort: db.provision.adminPort ?? dbPort,
                dropOnDestroy: db.provision.dropOnDestroy,
            },
            import: db.import,
        },
        redis: { endpoint, probeEndpoint },
        tls: {
            mode: p.tls.mode,
            validityDays: p.tls.validityDays,
            earlyRenewalDays: p.tls.earlyRenewalDays,
            certificate: pem("tlsCertificate"),
            caCertificate: pem("tlsCaCertificate"),
        },
        devServices: p.devServices,
        trivy: p.trivy,
        proxy: p.proxy,
        trustedCaCertificates: raw.values[`${project}:trustedCaCertificates`],
        secrets,
    };
}

/**
 * Default VRRP priority from the node's name alone (101..200), so removing or inserting another
 * node never shifts this one's priority (and never reloads its keepalived). Equal values are
 * legal in VRRP: the higher address wins the tie.
 */
export function defaultPriority(name: string): number {
    const h = createHash("sha256").update(name).digest();
    return 101 + (h.readUInt32BE(0) % 100);
}

/** One node at a time up to 5 nodes; above that a third, so a rollout is 3-4 waves at any size. */
export function defaultMaxUnavailable(nodeCount: number): number {
    return nodeCount <= 5 ? 1 : Math.floor(nodeCount / 3);
}
