/**
 * The shape of a stack's configuration, as a zod schema. Every object is strict so a typo
 * (or a password pasted into a plain object) is reported instead of silently ignored.
 * Defaults live here and nowhere else.
 */
import { z } from "zod";
import * as ipaddr from "ipaddr.js";
import { PROFILES, profileForVersion } from "../profiles";

const dnsName = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export const ipv4 = z.string().refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s), {
    message: "must be an IPv4 address like 10.0.0.11",
});

// All digits and dots is meant as an IPv4 address (10.0.0.300 is a typo, not a host name).
export const hostOrIp = z.string().min(1).refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s) || (!/^[\d.]+$/.test(s) && dnsName.test(s)), {
    message: "must be an IPv4 address or a DNS name",
});

export const cidr = z.string().refine(
    (s) => {
        try {
            const [addr, len] = ipaddr.IPv4.parseCIDR(s);
            // Reject host bits set (10.0.0.5/24): almost always a typo for the network or the node.
            return ipaddr.IPv4.networkAddressFromCIDR(s).toString() === addr.toString() && len <= 30;
        } catch {
            return false;
        }
    },
    { message: "must be an IPv4 network in CIDR form like 10.0.0.0/24 (no host bits set, prefix /30 or shorter)" },
);

const port = z.number().int().min(1).max(65535);

/** "host:port" (port 1-65535), or with `portRequired` false also a bare host. */
function endpoint(portRequired: boolean) {
    const form = portRequired ? "host:port" : "host or host:port";
    return z.string().refine(
        (s) => {
            const m = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(s);
            if (!m || (portRequired && m[2] === undefined)) return false;
            return m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535);
        },
        { message: `must be ${form} with a port from 1 to 65535` },
    );
}
const nodeName = z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, "must start with a letter and use only a-z, 0-9 and '-' (max 31 chars)");
const absPath = z.string().regex(/^\/[A-Za-z0-9._\/-]*$/, "must be an absolute path without spaces or shell characters");
const duration = z.string().regex(/^\d+(ms|s|m|h)$/, "must be a Go duration like 5m or 30s");

const releaseRanges = PROFILES.map((p) => `${p.releases[0]} … ${p.releases[p.releases.length - 1]}`).join(", ");

export const harborSchema = z
    .object({
        version: z
            .string()
            .default("v2.15.2")
            .refine((v) => profileForVersion(v) !== undefined, {
                message: `not a release any profile was checked against; use one of ${releaseRanges} (every tag in between; v2.0.x is not supported: its core keeps UI sessions in a Redis setting without Sentinel or TLS; v1.2-v1.4 and v1.6-v1.10 are not profiled)`,
            }),
        /** Image prefix, e.g. registry.internal:5000/goharbor for a private mirror; default per release line (docker.io/goharbor, 1.x: docker.io/vmware). */
        imageRegistry: z
            .string()
            .regex(/^[a-zA-Z0-9.\-:\/]+[a-zA-Z0-9]$/, "must be a registry/namespace prefix like docker.io/goharbor")
            .optional(),
        hostname: hostOrIp,
        protocol: z.enum(["https", "http"]).default("https"),
        /** Port clients use on the VIP/LB; default 443 (https) or 80 (http). */
        port: port.optional(),
        trivy: z.boolean().default(false),
        logLevel: z.enum(["debug", "info", "warning", "error", "fatal"]).default("info"),
        maxJobWorkers: z.number().int().min(1).max(100).default(10),
        /**
         * Default DB (v2.9.0+): any node's UI shows any job's log. Releases before v2.9.0 always
         * log jobs to STD_OUTPUT and FILE (their template has no choice), and FILE is on CephFS.
         */
        jobLoggers: z.array(z.enum(["DB", "FILE", "STD_OUTPUT"])).min(1).optional(),
        /** jobservice gives up on a job after this long (harbor.yml jobservice.max_job_duration_hours; v2.13.0+). */
        maxJobDurationHours: z.number().int().min(24, "Harbor raises anything below 24 to 24; use 24 or more").optional(),
        jobLogSweeperDays: z.number().int().min(1).default(14),
        logRotateCount: z.number().int().min(1).default(50),
        logRotateSize: z.string().regex(/^\d+[kMG]?$/, "must be a logrotate size like 200M").default("200M"),
    })
    .strict();

export const nodeSchema = z
    .object({
        name: nodeName,
        address: hostOrIp,
        transport: z.enum(["ssh", "local"]).default("ssh"),
        sshPort: port.default(22),
        /** authorized_keys-format host key; pins the node's identity for remote commands. */
        hostKey: z.string().min(1).optional(),
        httpPort: port.default(8080),
        httpsPort: port.default(8443),
        /** Host port of this node's log container; two instances on one engine need different ones. */
        syslogPort: port.default(1514),
        /** haproxy's node-local health answer for this node (plain HTTP; the other balancers poll it). */
        healthPort: port.default(8404),
        /**
         * Where this node's published ports (Harbor's proxy) and its haproxy health frontend
         * listen: every address (0.0.0.0), or only the node's own address (the dev stack: 127.0.0.1).
         */
        listenAddress: ipv4.default("0.0.0.0"),
        /** Overrides containers.subnet for this node (needed when instances share a Docker engine). */
        containerSubnet: cidr.optional(),
        /** VRRP priority; default derived from the node name (stable when other nodes are added or removed). */
        priority: z.number().int().min(1).max(254).optional(),
    })
    .strict();

export const sshSchema = z
    .object({
        user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name").default("root"),
        /** Private key file on the machine running Pulumi (read at run time, kept secret). */
        privateKeyPath: absPath.optional(),
        /** Use the running ssh-agent ($SSH_AUTH_SOCK) instead of a key file. */
        agent: z.boolean().default(false),
        /**
         * yes: every ssh node's `hostKey` is pinned and verified. accept-new: trust on first use,
         * explicitly: the key first seen is recorded in the stack and verified from then on.
         */
        strictHostKeyChecking: z.enum(["yes", "accept-new"]).default("yes"),
    })
    .strict();

export const containersSchema = z
    .object({
        subnet: cidr.default("172.30.0.0/24"),
        restart: z.enum(["always", "unless-stopped", "on-failure"]).default("always"),
    })
    .strict();

export const loadBalancerSchema = z
    .object({
        mode: z.enum(["keepalived", "haproxy", "external"]).default("keepalived"),
        vip: ipv4.optional(),
        /** The node network; the VIP must be inside it. */
        subnet: cidr.optional(),
        interface: z.string().regex(/^[a-zA-Z0-9._-]{1,15}$/, "must be a network interface name like eth0").default("eth0"),
        virtualRouterId: z.number().int().min(1).max(255).default(51),
        /** Port haproxy listens on; default harbor.port. */
        frontendPort: port.optional(),
        /** Address haproxy's client frontends bind: every address (*), or one of the host's (haproxy mode). */
        listenAddress: z.union([z.literal("*"), ipv4]).default("*"),
        /**
         * harbor-ha runs its own haproxy with its config, pid file, stats socket and drain list in
         * this directory, and leaves the distribution's haproxy service and /etc/haproxy alone.
         * It is not started at boot (no service): for the dev stack, transport local only.
         */
        haproxyDir: absPath.optional(),
        /** https only: haproxy answers plain HTTP here with a 308 to the external URL (Harbor's proxy does the same). */
        httpRedirect: z.boolean().default(true),
        httpRedirectPort: port.default(80),
        /** keepalived advert_int in seconds (VRRPv3); failover takes ~3 adverts. Lab: 0.5 -> 1.5-1.9 s. */
        advertIntervalSeconds: z.number().min(0.1).max(10).default(0.5),
        /**
         * A node whose balancer recovers takes the VIP back only after this long (keepalived
         * preempt_delay): one flapping node moves the VIP at most once per interval.
         */
        preemptDelaySeconds: z.number().int().min(0).max(1000).default(30),
    })
    .strict();

export const rolloutSchema = z
    .object({
        /** Nodes changed at the same time; default 1 up to 5 nodes, a third of the nodes above. */
        maxUnavailable: z.number().int().min(1).optional(),
        /** How long a drained node may keep finishing in-flight connections before its containers go. */
        drainTimeoutSeconds: z.number().int().min(0).max(3600).default(30),
        /** How long a changed node may take until its own components answer; then `up` fails naming it. */
        gateTimeoutSeconds: z.number().int().min(10).max(3600).default(300),
    })
    .strict();

export const storageSchema = z
    .object({
        type: z.enum(["cephfs", "local"]).default("cephfs"),
        /** Where the shared filesystem is mounted on every node. */
        mountPoint: absPath.default("/mnt/harbor"),
        /** Node-local data (Trivy cache, CA download dir). */
        localRoot: absPath.default("/var/lib/harbor-ha"),
        cephfs: z
            .object({
                monitors: z.array(endpoint(false)).min(1),
                path: absPath.default("/harbor"),
                clientName: z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be a Ceph client id like harbor").default("harbor"),
                client: z.enum(["fuse", "kernel"]).default("fuse"),
                installClient: z.boolean().default(true),
            })
            .strict()
            .optional(),
    })
    .strict();

export const databaseSchema = z
    .object({
        engine: z.enum(["postgresql", "mysql"]).default("postgresql"),
        host: hostOrIp,
        port: port.optional(),
        name: z.string().min(1).max(63).default("registry"),
        user: z.string().min(1).max(63).default("harbor"),
        sslmode: z.enum(["disable", "require", "verify-ca", "verify-full"]).default("disable"),
        maxIdleConns: z.number().int().min(0).default(2),
        maxOpenConns: z.number().int().min(0).default(0),
        connMaxLifetime: duration.default("5m"),
        connMaxIdleTime: duration.default("0s"),
        provision: z
            .object({
                enabled: z.boolean().default(false),
                /** Default postgres (PostgreSQL) or root (MySQL/MariaDB). */
                adminUser: z.string().min(1).optional(),
                adminDatabase: z.string().min(1).optional(),
                /** Host as seen from the machine running Pulumi, if it differs from `host`. */
                adminHost: hostOrIp.optional(),
                adminPort: port.optional(),
                dropOnDestroy: z.boolean().default(false),
            })
            .strict()
            .default({}),
        import: z
            .object({ path: absPath, force: z.boolean().default(false) })
            .strict()
            .optional(),
    })
    .strict();

const hostPort = endpoint(true);

export const redisSchema = z
    .object({
        mode: z.enum(["standalone", "sentinel"]).default("standalone"),
        host: hostOrIp.optional(),
        port: port.default(6379),
        sentinels: z.array(hostPort).optional(),
        masterSet: z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be a Sentinel master set name: letters, digits, _ . -").optional(),
        tls: z.boolean().default(false),
        username: z.string().optional(),
        /** Host/sentinels as seen from the machine running Pulumi (readiness probe), if different. */
        probeHost: hostOrIp.optional(),
        /** Standalone: the port as seen from the machine running Pulumi, if different (the dev stack's published port). */
        probePort: port.optional(),
        dbIndex: z
            .object({
                core: z.number().int().min(0).max(15).default(0),
                registry: z.number().int().min(0).max(15).default(1),
                jobservice: z.number().int().min(0).max(15).default(2),
                trivy: z.number().int().min(0).max(15).default(5),
                harbor: z.number().int().min(0).max(15).optional(),
                cacheLayer: z.number().int().min(0).max(15).optional(),
            })
            .strict()
            .default({}),
        idleTimeoutSeconds: z.number().int().min(0).default(30),
    })
    .strict();

export const tlsSchema = z
    .object({
        mode: z.enum(["generated", "provided"]).default("generated"),
        validityDays: z.number().int().min(1).max(3650).default(825),
        /** Regenerate this long before expiry on the next `pulumi up`. */
        earlyRenewalDays: z.number().int().min(0).default(30),
    })
    .strict();

/** Canary project names: Harbor's project name rules (lower case, digits, . _ -). */
export const verifySchema = z
    .object({
        /** Push/pull canary after every change to a node's containers; default on from v2.2.0 (robot accounts API). */
        canary: z.boolean().optional(),
        project: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, "must be a Harbor project name: lower-case letters, digits and . _ - between them").min(1).max(255).default("harbor-ha-canary"),
    })
    .strict();

/** What a change of harbor.version does besides the rolling waves (README "Upgrading Harbor"). */
export const upgradeSchema = z
    .object({
        backup: z
            .object({
                /** Dump Harbor's database before its schema changes (pg_dump -Fc, or mysqldump for 1.x). */
                enabled: z.boolean().default(true),
                /** On the machine running Pulumi; relative paths are from the project directory. */
                directory: z.string().min(1).default("backups"),
            })
            .strict()
            .default({}),
        /** Harbor read-only from before the migration until the last wave is healthy. */
        readOnly: z.boolean().default(true),
        /** Only after restoring the dump taken before the upgrade: lets harbor.version go back. */
        allowDowngrade: z.boolean().default(false),
        /** Upper bound for the one-shot schema migration. */
        migrateTimeoutSeconds: z.number().int().min(60).max(86400).default(3600),
    })
    .strict();

export const devServicesSchema = z
    .object({
        enabled: z.boolean().default(false),
        postgresImage: z.string().default("docker.io/library/postgres:16"),
        redisImage: z.string().default("docker.io/library/redis:7"),
        postgresPort: port.default(15432),
        redisPort: port.default(16379),
        /** PostgreSQL's data directory on the host (kept by destroy, like the blobs; dev-down removes it). */
        postgresDataDir: absPath.default("/var/tmp/harbor-ha-dev/postgres"),
    })
    .strict();

/** Go duration as Harbor's templates take it (e.g. 5m0s). */
const goDuration = z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, "must be a Go duration like 5m0s");

/** Trivy's settings, as harbor.yml's `trivy:` block (Harbor 2.15.2's defaults). */
export const trivySchema = z
    .object({
        ignoreUnfixed: z.boolean().default(false),
        /** Air-gapped sites: true, with the vulnerability DB placed in each node's Trivy cache. */
        skipUpdate: z.boolean().default(false),
        skipJavaDbUpdate: z.boolean().default(false),
        offlineScan: z.boolean().default(false),
        /** OCI repositories of the vulnerability DBs, e.g. a mirror (Harbor v2.15.0+). */
        dbRepository: z.string().min(1).default("ghcr.io/aquasecurity/trivy-db"),
        javaDbRepository: z.string().min(1).default("ghcr.io/aquasecurity/trivy-java-db"),
        securityCheck: z.string().regex(/^[a-z]+(,[a-z]+)*$/, "must be a comma list like vuln").default("vuln"),
        insecure: z.boolean().default(false),
        timeout: goDuration.default("5m0s"),
    })
    .strict();

const proxyUrl = z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, "must be a URL like http://proxy.example.com:3128 (no credentials: they would sit in plain config)");

/** Outbound HTTP proxy, as harbor.yml's `proxy:` block. */
export const proxySchema = z
    .object({
        httpProxy: proxyUrl.optional(),
        httpsProxy: proxyUrl.optional(),
        /** Added to Harbor's internal names, which never go through the proxy. */
        noProxy: z.string().regex(/^[A-Za-z0-9.*:/_-]+(,[A-Za-z0-9.*:/_-]+)*$/, "must be a comma list of hosts, domains or CIDRs").optional(),
        components: z.array(z.enum(["core", "jobservice", "trivy"])).default(["core", "jobservice", "trivy"]),
    })
    .strict();

/** Every non-secret key the program reads, by config key (without the project prefix). */
export const plainKeys = {
    harbor: harborSchema,
    nodes: z.array(nodeSchema).min(1, "needs at least one node"),
    ssh: sshSchema.default({}),
    containers: containersSchema.default({}),
    loadBalancer: loadBalancerSchema.default({}),
    rollout: rolloutSchema.default({}),
    storage: storageSchema.default({}),
    database: databaseSchema,
    redis: redisSchema,
    tls: tlsSchema.default({}),
    devServices: devServicesSchema.default({}),
    verify: verifySchema.default({}),
    upgrade: upgradeSchema.default({}),
    trivy: trivySchema.default({}),
    proxy: proxySchema.default({}),
} as const;

/** Keys that must be set with `pulumi config set --secret`. */
export const secretKeys = [
    "cephKey",
    "databasePassword",
    "databaseAdminPassword",
    "redisPassword",
    "tlsPrivateKey",
] as const;
export type SecretKey = (typeof secretKeys)[number];

/** Public but multi-line PEM values, accepted plain or secret. */
export const pemKeys = ["tlsCertificate", "tlsCaCertificate", "trustedCaCertificates"] as const;

/** The config after schema parsing (defaults applied), before cross-field checks. */
export type Parsed = { [K in keyof typeof plainKeys]: z.output<(typeof plainKeys)[K]> };
