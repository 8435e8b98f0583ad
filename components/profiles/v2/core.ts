/**
 * core: API, token service and UI back end. Its env is core/env.jinja; keys some releases lack
 * are cut by releases.ts. Core migrates the schema on start, so it waits for registry,
 * registryctl and portal, and jobservice waits for it.
 */
import { atLeast } from "../version";
import * as crypto from "crypto";
import { ClusterSpec } from "../../config/spec";
import { renderTemplate } from "../../render/template";
import { ContainerSpec } from "../types";
import { container, file, health, V2Context } from "./context";
import { proxyEnv } from "./outbound-proxy";
import { REGISTRY_USER } from "./registry";
import { PROXY_CACHE_REGISTRY_TYPES, REPLICATION_ADAPTERS, valueFor } from "./releases";

/** Docker DNS names on the node's own network: each node's core talks to its own registry. */
export const INTERNAL_URLS = {
    CORE_URL: "http://core:8080",
    JOBSERVICE_URL: "http://jobservice:8080",
    REGISTRY_URL: "http://registry:5000",
    REGISTRY_CONTROLLER_URL: "http://registryctl:8080",
    PORTAL_URL: "http://portal:8080",
    TOKEN_SERVICE_URL: "http://core:8080/service/token",
} as const;

/** Identical on every node and stable per stack; recognises Harbor's scanner robot accounts. */
export function robotPrefix(spec: ClusterSpec, stack: string): string {
    return crypto.createHash("sha256").update(`${spec.project}/${stack}`).digest("hex").slice(0, 8);
}

export function registryCredentialEnv(ctx: V2Context): Record<string, string> {
    return { REGISTRY_CREDENTIAL_USERNAME: REGISTRY_USER, REGISTRY_CREDENTIAL_PASSWORD: ctx.shared.registryPassword };
}

function databaseEnv(ctx: V2Context): Record<string, string> {
    const db = ctx.spec.database;
    return {
        DATABASE_TYPE: "postgresql",
        POSTGRESQL_HOST: db.server.host,
        POSTGRESQL_PORT: String(db.server.port),
        POSTGRESQL_USERNAME: db.target.user,
        POSTGRESQL_PASSWORD: ctx.shared.databasePassword,
        POSTGRESQL_DATABASE: db.target.database,
        POSTGRESQL_SSLMODE: db.server.sslmode,
        POSTGRESQL_MAX_IDLE_CONNS: String(db.maxIdleConns),
        POSTGRESQL_MAX_OPEN_CONNS: String(db.maxOpenConns),
        POSTGRESQL_CONN_MAX_LIFETIME: db.connMaxLifetime,
        POSTGRESQL_CONN_MAX_IDLE_TIME: db.connMaxIdleTime,
    };
}

/**
 * Flags and URLs of components this project never deploys (Clair, ChartMuseum, Notary), as the
 * releases that still had them render them with the component off (make/photon/prepare/utils/core.py).
 */
const RETIRED_COMPONENTS_ENV: Record<string, string> = {
    WITH_CLAIR: "false",
    CLAIR_ADAPTER_URL: "http://clair-adapter:8080",
    WITH_CHARTMUSEUM: "false",
    CHART_REPOSITORY_URL: "http://chartmuseum:9999",
    // prepare picks redis whenever core has a Redis URL, which it always has here.
    CHART_CACHE_DRIVER: "redis",
    WITH_NOTARY: "false",
    NOTARY_URL: "http://notary-server:4443",
};

function coreEnv(ctx: V2Context): Record<string, string> {
    const { spec, shared } = ctx;
    const h = spec.harbor;
    const env: Record<string, string> = {
        CONFIG_PATH: "/etc/core/app.conf",
        UAA_CA_ROOT: "/etc/core/certificates/uaa_ca.pem",
        _REDIS_URL_CORE: shared.redis.coreUrl,
        _REDIS_URL_REG: shared.redis.registryUrl,
        ...(shared.redis.harborUrl ? { _REDIS_URL_HARBOR: shared.redis.harborUrl } : {}),
        ...(shared.redis.cacheLayerUrl ? { _REDIS_URL_CACHE_LAYER: shared.redis.cacheLayerUrl } : {}),
        SYNC_QUOTA: "true",
        LOG_LEVEL: h.logLevel,
        EXT_ENDPOINT: h.externalUrl,
        ...databaseEnv(ctx),
        ...INTERNAL_URLS,
        CORE_LOCAL_URL: "http://127.0.0.1:8080",
        HARBOR_ADMIN_PASSWORD: shared.adminPassword,
        MAX_JOB_WORKERS: String(h.maxJobWorkers),
        CORE_SECRET: shared.coreSecret,
        JOBSERVICE_SECRET: shared.jobserviceSecret,
        WITH_TRIVY: String(h.trivy),
        TRIVY_ADAPTER_URL: "http://trivy-adapter:8080",
        ...RETIRED_COMPONENTS_ENV,
        REGISTRY_STORAGE_PROVIDER_NAME: "filesystem",
        READ_ONLY: "false",
        RELOAD_KEY: "",
        ...registryCredentialEnv(ctx),
        CSRF_KEY: shared.csrfKey,
        ROBOT_SCANNER_NAME_PREFIX: robotPrefix(spec, ctx.stack),
        PORT: "8080",
        ...proxyEnv(spec, "core"),
    };
    for (const [key, table] of [["PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE", PROXY_CACHE_REGISTRY_TYPES], ["REPLICATION_ADAPTER_WHITELIST", REPLICATION_ADAPTERS]] as const) {
        const value = valueFor(h.version, table);
        if (value !== undefined) env[key] = value;
    }
    return env;
}

/**
 * From v2.5.0 core takes `-mode=normal|migrate|skip-migrate` (src/core/main.go). harbor-ha runs
 * the schema migration once, as a one-shot `-mode=migrate` (components/scripts/upgrade.ts), and
 * every core with `skip-migrate`: no core changes the schema when it starts, so cores of two
 * versions never race over it. The image's entrypoint.sh (install_cert.sh, then harbor_core)
 * passes no arguments, hence its two steps here.
 */
export const ONE_SHOT_MIGRATION_SINCE = "v2.5.0";
export const coreEntrypoint = (mode: "migrate" | "skip-migrate") => ["/bin/sh", "-c", `/harbor/install_cert.sh && exec /harbor/harbor_core -mode=${mode}`];

export function renderCore(ctx: V2Context): ContainerSpec {
    const { shared, paths } = ctx;
    return container(ctx, "core", {
        entrypoint: atLeast(ctx.spec.harbor.version, ONE_SHOT_MIGRATION_SINCE) ? coreEntrypoint("skip-migrate") : undefined,
        env: coreEnv(ctx),
        secretEnv: [
            "_REDIS_URL_CORE", "_REDIS_URL_REG", "_REDIS_URL_HARBOR", "_REDIS_URL_CACHE_LAYER", "POSTGRESQL_PASSWORD",
            "HARBOR_ADMIN_PASSWORD", "CORE_SECRET", "JOBSERVICE_SECRET", "REGISTRY_CREDENTIAL_PASSWORD", "CSRF_KEY",
        ],
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
        after: ["log", "registry", "registryctl", "portal"],
    });
}
