/**
 * Harbor 2.x release profile: the containers `prepare` + docker-compose would create, built
 * directly. Sources for every value: ../shared/reference/harbor-facts.md §1 (env tables, start
 * order, capabilities, DB/Redis wiring). A new 2.x release is a change here, not in components.
 */
import * as crypto from "crypto";
import * as ipaddr from "ipaddr.js";
import { ClusterSpec, NodeSpec } from "../config/spec";
import { HARBOR_UID, nodePaths } from "../paths";
import { renderTemplate, toYaml } from "../render/template";
import { ContainerFile, ContainerSpec, SharedValues } from "./types";
import { atLeast } from "./version";
import { proxyEnv } from "./v2-proxy";
import { inReleases, PROXY_CACHE_REGISTRY_TYPES, REPLICATION_ADAPTERS, TRIVY_ENV_RELEASES, valueFor } from "./v2-releases";

export const REGISTRY_USER = "harbor_registry_user";

/** Host offsets inside the node's container subnet: fixed, so addresses survive restarts. */
const ipOffset: Record<string, number> = {
    log: 10, registry: 11, registryctl: 12, core: 13, portal: 14, jobservice: 15, proxy: 16, "trivy-adapter": 17,
};

/**
 * Harbor's compose cap_add per component, in the form Docker stores them when the provider
 * creates the container: the provider's Docker client (github.com/docker/docker v28.5.2,
 * client/container_create.go `normalizeCapabilities`) upper-cases, adds `CAP_`, de-duplicates and
 * sorts before sending, and the daemon reports that list back on refresh. Any other form is a
 * diff on `capabilities`, which replaces every container.
 */
const caps: Record<string, string[]> = {
    log: ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETGID", "CAP_SETUID"],
    registry: ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"],
    registryctl: ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"],
    jobservice: ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"],
    core: ["CAP_SETGID", "CAP_SETUID"],
    portal: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"],
    proxy: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"],
    "trivy-adapter": [],
};

/**
 * Every component but log ships its output to the node's log container over syslog. UDP, not
 * Harbor's TCP: Docker dials the syslog address when it starts a container, and after a reboot
 * dockerd starts all containers at once, so with TCP every one that starts before the log
 * container listens fails with "failed to initialize logging driver ... connection refused" and
 * stays Exited (255): restart policies do not retry a failed start. A UDP "dial" cannot be
 * refused; Harbor's log image listens on udp/10514 too (make/photon/log/rsyslog.conf).
 */
export function syslogTo(port: number, component: string): ContainerSpec["log"] {
    return { driver: "syslog", options: { "syslog-address": `udp://127.0.0.1:${port}`, tag: component } };
}
/** The log container itself keeps a small local json-file log. */
const LOG_SINK_LOG: ContainerSpec["log"] = { driver: "json-file", options: { "max-size": "20m", "max-file": "3" } };

const images: Record<string, string> = {
    log: "harbor-log", registry: "registry-photon", registryctl: "harbor-registryctl", core: "harbor-core",
    portal: "harbor-portal", jobservice: "harbor-jobservice", proxy: "nginx-photon", "trivy-adapter": "trivy-adapter-photon",
};


export function containerIp(subnet: string, component: string): string {
    const [net] = ipaddr.IPv4.parseCIDR(subnet);
    const bytes = net.toByteArray();
    const n = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) + ipOffset[component];
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The trivy-adapter's scanner settings (harbor.yml `trivy:`), with the keys each release carries. */
function trivyEnv(spec: ClusterSpec): Record<string, string> {
    const t = spec.trivy;
    const all: Record<string, string> = {
        SCANNER_TRIVY_IGNORE_UNFIXED: String(t.ignoreUnfixed),
        SCANNER_TRIVY_SKIP_UPDATE: String(t.skipUpdate),
        SCANNER_TRIVY_SKIP_JAVA_DB_UPDATE: String(t.skipJavaDbUpdate),
        SCANNER_TRIVY_DB_REPOSITORY: t.dbRepository,
        SCANNER_TRIVY_JAVA_DB_REPOSITORY: t.javaDbRepository,
        SCANNER_TRIVY_OFFLINE_SCAN: String(t.offlineScan),
        SCANNER_TRIVY_SECURITY_CHECKS: t.securityCheck,
        SCANNER_TRIVY_INSECURE: String(t.insecure),
        SCANNER_TRIVY_TIMEOUT: t.timeout,
        ...proxyEnv(spec, "trivy"),
    };
    const release = spec.harbor.version;
    return Object.fromEntries(Object.entries(all).filter(([k]) => !(k in TRIVY_ENV_RELEASES) || inReleases(release, TRIVY_ENV_RELEASES[k])));
}

/** Components this profile deploys on every node, in start order. */
export function v2Components(spec: ClusterSpec): string[] {
    const list = ["log", "registry", "registryctl", "portal", "core", "jobservice", "proxy"];
    if (spec.harbor.trivy) list.push("trivy-adapter");
    return list;
}

/** Identical on every node and stable per stack; recognises Harbor's scanner robot accounts. */
export function robotPrefix(spec: ClusterSpec, stack: string): string {
    return crypto.createHash("sha256").update(`${spec.project}/${stack}`).digest("hex").slice(0, 8);
}

/**
 * Docker runs the first check one interval after start (start_interval needs Docker 25), and
 * every container waits for its check before its dependents start: a short interval keeps a
 * node's start chain (log -> registry/portal -> core -> jobservice/proxy) fast. A curl every 5 s
 * is cheap; 3 misses (15 s) mark it unhealthy.
 */
function health(cmd: string): ContainerSpec["healthcheck"] {
    return { test: ["CMD-SHELL", cmd], interval: "5s", timeout: "5s", retries: 3, startPeriod: "30s" };
}

export function renderV2Node(spec: ClusterSpec, node: NodeSpec, shared: SharedValues, stack: string): ContainerSpec[] {
    const h = spec.harbor;
    const paths = nodePaths(spec.storage, node.name);
    const db = spec.database;
    const https = h.protocol === "https";
    const uid = `${HARBOR_UID}:${HARBOR_UID}`;
    const base = (component: string): Omit<ContainerSpec, "env" | "secretEnv" | "files" | "mounts" | "ports" | "healthcheck" | "after"> => ({
        component,
        name: `${node.name}-${component}`,
        image: `${h.imageRegistry}/${images[component]}:${h.version}`,
        aliases: [component],
        ipv4: containerIp(node.containerSubnet, component),
        user: component === "log" ? undefined : uid,
        capAdd: caps[component],
        capDrop: ["ALL"],
        log: component === "log" ? LOG_SINK_LOG : syslogTo(node.syslogPort, component),
    });
    const file = (path: string, content: string, secret = false, mode = 0o444): ContainerFile => ({ path, content, mode, secret });

    const dbEnv: Record<string, string> = {
        DATABASE_TYPE: "postgresql",
        POSTGRESQL_HOST: db.server.host,
        POSTGRESQL_PORT: String(db.server.port),
        POSTGRESQL_USERNAME: db.target.user,
        POSTGRESQL_PASSWORD: shared.databasePassword,
        POSTGRESQL_DATABASE: db.target.database,
        POSTGRESQL_SSLMODE: db.server.sslmode,
        POSTGRESQL_MAX_IDLE_CONNS: String(db.maxIdleConns),
        POSTGRESQL_MAX_OPEN_CONNS: String(db.maxOpenConns),
    };
    if (atLeast(h.version, "v2.7.0")) {
        dbEnv.POSTGRESQL_CONN_MAX_LIFETIME = db.connMaxLifetime;
        dbEnv.POSTGRESQL_CONN_MAX_IDLE_TIME = db.connMaxIdleTime;
    }
    const internalUrls = {
        CORE_URL: "http://core:8080",
        JOBSERVICE_URL: "http://jobservice:8080",
        REGISTRY_URL: "http://registry:5000",
        REGISTRY_CONTROLLER_URL: "http://registryctl:8080",
        PORTAL_URL: "http://portal:8080",
        TOKEN_SERVICE_URL: "http://core:8080/service/token",
    };
    const registryCredential = {
        REGISTRY_CREDENTIAL_USERNAME: REGISTRY_USER,
        REGISTRY_CREDENTIAL_PASSWORD: shared.registryPassword,
    };

    const registryConfig = toYaml({
        version: 0.1,
        log: { level: h.logLevel === "warning" ? "warn" : h.logLevel, fields: { service: "registry" } },
        storage: {
            cache: { layerinfo: "redis" },
            filesystem: { rootdirectory: "/storage" },
            maintenance: { uploadpurging: { enabled: true, age: "168h", interval: "24h", dryrun: false } },
            delete: { enabled: true },
        },
        redis: {
            addr: shared.redis.registry.addr,
            ...(shared.redis.registry.sentinelMasterSet ? { sentinelMasterSet: shared.redis.registry.sentinelMasterSet } : {}),
            ...(shared.redis.registry.username ? { username: shared.redis.registry.username } : {}),
            ...(shared.redis.registry.password ? { password: shared.redis.registry.password } : {}),
            db: shared.redis.registry.db,
            enableTLS: shared.redis.registry.enableTLS,
            readtimeout: "10s",
            writetimeout: "10s",
            dialtimeout: "10s",
            pool: { maxidle: 100, maxactive: 500, idletimeout: "60s" },
        },
        http: { addr: ":5000", secret: shared.registryHttpSecret, debug: { addr: "localhost:5001" } },
        auth: { htpasswd: { realm: "harbor-registry-basic-realm", path: "/etc/registry/passwd" } },
        validation: { disabled: true },
        compatibility: { schema1: { enabled: true } },
    });
    const registryFiles = [
        file("/etc/registry/config.yml", registryConfig, true),
        file("/etc/registry/passwd", shared.registryHtpasswd + "\n", true),
        file("/etc/registry/root.crt", shared.tokenCertificate),
    ];
    const storageMount = { source: paths.registry, target: "/storage", readOnly: false };
    const syslogTarget = "127.0.0.1";

    const log: ContainerSpec = {
        ...base("log"),
        env: {},
        secretEnv: [],
        files: [
            file("/etc/rsyslog.d/rsyslog_docker.conf", renderTemplate("v2/log/rsyslog_docker.conf.njk", {})),
            file("/etc/logrotate.d/logrotate.conf", renderTemplate("v2/log/logrotate.conf.njk", { rotateCount: h.logRotateCount, rotateSize: h.logRotateSize })),
        ],
        mounts: [{ source: paths.logs, target: "/var/log/docker", readOnly: false }],
        ports: [{ internal: 10514, external: node.syslogPort, ip: syslogTarget, protocol: "udp" }],
        healthcheck: { ...health("netstat -ltun | grep 10514"), startPeriod: "5s" },
        after: [],
    };

    const registry: ContainerSpec = {
        ...base("registry"),
        env: {},
        secretEnv: [],
        files: registryFiles,
        mounts: [storageMount],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:5000 || exit 1"),
        after: ["log"],
    };

    const registryctl: ContainerSpec = {
        ...base("registryctl"),
        env: { CORE_SECRET: shared.coreSecret, JOBSERVICE_SECRET: shared.jobserviceSecret, LOG_LEVEL: h.logLevel },
        secretEnv: ["CORE_SECRET", "JOBSERVICE_SECRET"],
        files: [
            ...registryFiles,
            file("/etc/registryctl/config.yml", toYaml({ protocol: "http", port: 8080, log_level: h.logLevel, registry_config: "/etc/registry/config.yml" })),
        ],
        mounts: [storageMount],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:8080/api/health || exit 1"),
        after: ["log"],
    };

    const portal: ContainerSpec = {
        ...base("portal"),
        env: {},
        secretEnv: [],
        files: [file("/etc/nginx/nginx.conf", renderTemplate("v2/portal/nginx.conf.njk", {}))],
        mounts: [],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:8080 || exit 1"),
        after: ["log"],
    };

    const coreEnv: Record<string, string> = {
        CONFIG_PATH: "/etc/core/app.conf",
        UAA_CA_ROOT: "/etc/core/certificates/uaa_ca.pem",
        _REDIS_URL_CORE: shared.redis.coreUrl,
        _REDIS_URL_REG: shared.redis.registryUrl,
        LOG_LEVEL: h.logLevel,
        EXT_ENDPOINT: h.externalUrl,
        ...dbEnv,
        ...internalUrls,
        CORE_LOCAL_URL: "http://127.0.0.1:8080",
        HARBOR_ADMIN_PASSWORD: shared.adminPassword,
        MAX_JOB_WORKERS: String(h.maxJobWorkers),
        CORE_SECRET: shared.coreSecret,
        JOBSERVICE_SECRET: shared.jobserviceSecret,
        WITH_TRIVY: String(h.trivy),
        TRIVY_ADAPTER_URL: "http://trivy-adapter:8080",
        REGISTRY_STORAGE_PROVIDER_NAME: "filesystem",
        READ_ONLY: "false",
        RELOAD_KEY: "",
        ...registryCredential,
        CSRF_KEY: shared.csrfKey,
        ROBOT_SCANNER_NAME_PREFIX: robotPrefix(spec, stack),
        PORT: "8080",
        ...proxyEnv(spec, "core"),
    };
    for (const [key, table] of [["PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE", PROXY_CACHE_REGISTRY_TYPES], ["REPLICATION_ADAPTER_WHITELIST", REPLICATION_ADAPTERS]] as const) {
        const value = valueFor(h.version, table);
        if (value !== undefined) coreEnv[key] = value;
    }
    const coreSecretEnv = ["_REDIS_URL_CORE", "_REDIS_URL_REG", "POSTGRESQL_PASSWORD", "HARBOR_ADMIN_PASSWORD", "CORE_SECRET", "JOBSERVICE_SECRET", "REGISTRY_CREDENTIAL_PASSWORD", "CSRF_KEY"];
    if (shared.redis.harborUrl && atLeast(h.version, "v2.9.0")) {
        coreEnv._REDIS_URL_HARBOR = shared.redis.harborUrl;
        coreSecretEnv.push("_REDIS_URL_HARBOR");
    }
    if (shared.redis.cacheLayerUrl && atLeast(h.version, "v2.9.0")) {
        coreEnv._REDIS_URL_CACHE_LAYER = shared.redis.cacheLayerUrl;
        coreSecretEnv.push("_REDIS_URL_CACHE_LAYER");
    }
    const core: ContainerSpec = {
        ...base("core"),
        env: coreEnv,
        secretEnv: coreSecretEnv,
        files: [
            file("/etc/core/app.conf", renderTemplate("v2/core/app.conf.njk", { port: 8080 })),
            file("/etc/core/key", shared.secretKey, true),
            file("/etc/core/private_key.pem", shared.tokenPrivateKey, true),
            ...(shared.caCertificate ? [file("/etc/core/ca/ca.crt", shared.caCertificate)] : []),
        ],
        // Read-only: core only reads it for the storage-capacity figure on the UI.
        mounts: [{ source: paths.registry, target: "/data", readOnly: true }],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:8080/api/v2.0/ping || exit 1"),
        // Core migrates the schema on start; jobservice asks it for config.
        after: ["log", "registry", "registryctl", "portal"],
    };

    const jobLoggers = h.jobLoggers.map((name) => {
        if (name === "FILE") return { name, level: "INFO", settings: { base_dir: "/var/log/jobs" }, sweeper: { duration: h.jobLogSweeperDays, settings: { work_dir: "/var/log/jobs" } } };
        if (name === "DB") return { name, level: "INFO", sweeper: { duration: h.jobLogSweeperDays } };
        return { name, level: "INFO" };
    });
    const jobservice: ContainerSpec = {
        ...base("jobservice"),
        // The node ID (periodic-job lock owner) is hostname:ip; keep it unique per node.
        hostname: `${node.name}-jobservice`,
        env: {
            CORE_SECRET: shared.coreSecret,
            JOBSERVICE_SECRET: shared.jobserviceSecret,
            CORE_URL: internalUrls.CORE_URL,
            REGISTRY_URL: internalUrls.REGISTRY_URL,
            REGISTRY_CONTROLLER_URL: internalUrls.REGISTRY_CONTROLLER_URL,
            TOKEN_SERVICE_URL: internalUrls.TOKEN_SERVICE_URL,
            JOBSERVICE_WEBHOOK_JOB_MAX_RETRY: "3",
            JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT: "3",
            REGISTRY_HTTP_CLIENT_TIMEOUT: "30",
            LOG_LEVEL: h.logLevel,
            ...registryCredential,
            ...proxyEnv(spec, "jobservice"),
        },
        secretEnv: ["CORE_SECRET", "JOBSERVICE_SECRET", "REGISTRY_CREDENTIAL_PASSWORD"],
        files: [
            file(
                "/etc/jobservice/config.yml",
                toYaml({
                    protocol: "http",
                    port: 8080,
                    worker_pool: {
                        workers: h.maxJobWorkers,
                        backend: "redis",
                        redis_pool: { redis_url: shared.redis.jobserviceUrl, namespace: "harbor_job_service_namespace", idle_timeout_second: 3600 },
                    },
                    job_loggers: jobLoggers,
                    loggers: [{ name: "STD_OUTPUT", level: "INFO" }],
                    reaper: { max_update_hours: 24, max_dangling_hours: 168 },
                    max_retrieve_size_mb: 10,
                }),
                true,
            ),
        ],
        mounts: [{ source: paths.jobLogs, target: "/var/log/jobs", readOnly: false }],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:8080/api/v1/stats || exit 1"),
        after: ["core"],
    };

    const proxyPorts = [{ internal: 8080, external: node.httpPort }];
    if (https) proxyPorts.push({ internal: 8443, external: node.httpsPort });
    const proxy: ContainerSpec = {
        ...base("proxy"),
        env: {},
        secretEnv: [],
        files: [
            file(
                "/etc/nginx/nginx.conf",
                renderTemplate("v2/proxy/nginx.conf.njk", {
                    nodeName: node.name,
                    https,
                    coreUpstream: "core:8080",
                    portalUpstream: "portal:8080",
                    redirectPortSuffix: h.port === 443 ? "" : `:${h.port}`,
                }),
            ),
            ...(https ? [file("/etc/cert/server.crt", shared.tlsCertificate), file("/etc/cert/server.key", shared.tlsPrivateKey, true)] : []),
        ],
        mounts: [],
        ports: proxyPorts,
        healthcheck: health("curl --fail -s http://localhost:8080 || exit 1"),
        after: ["registry", "core", "portal"],
    };

    const out = [log, registry, registryctl, portal, core, jobservice, proxy];
    if (h.trivy) {
        out.push({
            ...base("trivy-adapter"),
            env: {
                SCANNER_LOG_LEVEL: h.logLevel,
                SCANNER_REDIS_URL: shared.redis.trivyUrl,
                SCANNER_STORE_REDIS_URL: shared.redis.trivyUrl,
                SCANNER_STORE_REDIS_NAMESPACE: "harbor.scanner.trivy:store",
                SCANNER_JOB_QUEUE_REDIS_URL: shared.redis.trivyUrl,
                SCANNER_JOB_QUEUE_REDIS_NAMESPACE: "harbor.scanner.trivy:job-queue",
                SCANNER_TRIVY_CACHE_DIR: "/home/scanner/.cache/trivy",
                SCANNER_TRIVY_REPORTS_DIR: "/home/scanner/.cache/reports",
                SCANNER_TRIVY_VULN_TYPE: "os,library",
                SCANNER_TRIVY_SEVERITY: "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
                ...trivyEnv(spec),
                SCANNER_API_SERVER_ADDR: ":8080",
            },
            secretEnv: ["SCANNER_REDIS_URL", "SCANNER_STORE_REDIS_URL", "SCANNER_JOB_QUEUE_REDIS_URL"],
            files: [],
            // Node-local: each Trivy keeps its own vulnerability DB cache.
            mounts: [
                { source: paths.trivyCache, target: "/home/scanner/.cache/trivy", readOnly: false },
                { source: paths.trivyReports, target: "/home/scanner/.cache/reports", readOnly: false },
            ],
            ports: [],
            healthcheck: health("curl --fail -s http://localhost:8080/probe/healthy || exit 1"),
            after: ["log"],
        });
    }
    return out;
}
