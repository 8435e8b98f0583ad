/**
 * Stack config -> ClusterSpec. Runs before any resource is declared; on bad input it throws one
 * ConfigError listing every problem, each naming the config key and the fix. Secret values are
 * wrapped with pulumi.secret() here and never appear in an error message.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { crossChecks } from "./checks";
import { adminUserOf, defaultMaxUnavailable, defaultPriority, harborPort } from "./defaults";
import { Parsed, pemKeys, plainKeys, SecretKey, secretKeys } from "./schema";
import { ClusterSpec, NodeSpec, SecretInputs } from "./spec";
import { SETTING_SINCE } from "../profiles/v2/releases";
import { atLeast } from "../profiles/version";
import { profileForVersion } from "../profiles";

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
    // zod's own texts quote the received value: a password pasted into the wrong field would be printed.
    if (issue.code === "invalid_enum_value") return `${where}: must be one of ${issue.options.join(", ")}`;
    if (issue.code === "invalid_literal") return `${where}: must be ${JSON.stringify(issue.expected)}`;
    if (issue.code === "invalid_type") return `${where}: must be a ${issue.expected} (got a ${issue.received})`;
    if (issue.message === "Invalid" || issue.message === "Invalid input") return `${where}: has an invalid form; see README "Config reference"`;
    return `${where}: ${issue.message}`;
}

function buildSpec(project: string, p: Parsed, raw: RawConfig, secrets: SecretInputs): ClusterSpec {
    const h = p.harbor;
    const profile = profileForVersion(h.version)!;
    const port = harborPort(h);
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
        listenAddress: n.listenAddress,
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
    const probeEndpoint = r.probeHost || r.probePort
        ? {
              ...endpoint,
              server: endpoint.server && { host: r.probeHost ?? endpoint.server.host, port: r.probePort ?? endpoint.server.port },
              sentinels: endpoint.sentinels?.map((s) => ({ ...s, host: r.probeHost ?? s.host })),
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
            profile: profile.id,
            imageRegistry: h.imageRegistry ?? profile.defaultImageRegistry,
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
            listenAddress: p.loadBalancer.listenAddress,
            haproxyDir: p.loadBalancer.haproxyDir,
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
                adminUser: adminUserOf(db),
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
        verify: { canary: p.verify.canary ?? atLeast(h.version, SETTING_SINCE["verify.canary"]), project: p.verify.project },
        upgrade: p.upgrade,
        trivy: p.trivy,
        proxy: p.proxy,
        trustedCaCertificates: raw.values[`${project}:trustedCaCertificates`],
        secrets,
    };
}

export { defaultMaxUnavailable, defaultPriority } from "./defaults";
