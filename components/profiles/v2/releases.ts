/**
 * What differs between the Harbor 2.x releases this profile renders, as data. Every entry was
 * read from goharbor/harbor make/photon/prepare/templates/ at that release's tag; the fixtures in
 * tests/fixtures/harbor-templates/ hold what the templates carry and the L0 tests compare.
 * A renderer lists every key it knows; `envForRelease` keeps those the release's template has.
 */
import { atLeast } from "../version";

/**
 * The releases whose templates were checked, tag by tag (env keys per component, registry-type
 * lists, config-file features). v2.0.x is not among them: its core keeps UI sessions in
 * `_REDIS_URL` (beego form, no Sentinel, no TLS) and its registry config has no Sentinel.
 */
export const SUPPORTED_RELEASES: readonly string[] = [
    "v2.1.0", "v2.1.1", "v2.1.2", "v2.1.3", "v2.1.4", "v2.1.5", "v2.1.6", "v2.2.0", "v2.2.1", "v2.2.2",
    "v2.2.3", "v2.2.4", "v2.3.0", "v2.3.1", "v2.3.2", "v2.3.3", "v2.3.4", "v2.3.5", "v2.4.0", "v2.4.1",
    "v2.4.2", "v2.4.3", "v2.5.0", "v2.5.1", "v2.5.2", "v2.5.3", "v2.5.4", "v2.5.5", "v2.5.6", "v2.6.0",
    "v2.6.1", "v2.6.2", "v2.6.3", "v2.6.4", "v2.7.0", "v2.7.1", "v2.7.2", "v2.7.3", "v2.7.4", "v2.8.0",
    "v2.8.1", "v2.8.2", "v2.8.3", "v2.8.4", "v2.8.5", "v2.8.6", "v2.9.0", "v2.9.1", "v2.9.2", "v2.9.3",
    "v2.9.4", "v2.9.5", "v2.10.0", "v2.10.1", "v2.10.2", "v2.10.3", "v2.11.0", "v2.11.1", "v2.11.2", "v2.12.0",
    "v2.12.1", "v2.12.2", "v2.12.3", "v2.12.4", "v2.13.0", "v2.13.1", "v2.13.2", "v2.13.3", "v2.13.4", "v2.13.5",
    "v2.14.0", "v2.14.1", "v2.14.2", "v2.14.3", "v2.14.4", "v2.15.0", "v2.15.1", "v2.15.2",
];

export type V2Component = "log" | "registry" | "registryctl" | "portal" | "core" | "jobservice" | "proxy" | "trivy-adapter";

/** Releases as half-open ranges [from, before); `before` undefined = every later release. */
export type ReleaseRanges = ReadonlyArray<readonly [from: string, before?: string]>;

export function inReleases(version: string, ranges: ReleaseRanges): boolean {
    return ranges.some(([from, before]) => atLeast(version, from) && (before === undefined || !atLeast(version, before)));
}

/**
 * Env keys that only some supported releases' env.jinja carry; a key not listed here is in every
 * supported release's template. (A release outside a key's range gets no such key: an unknown
 * key is at best ignored, and a dropped one can mean a changed default.)
 */
export const ENV_KEY_RELEASES: Readonly<Partial<Record<V2Component, Readonly<Record<string, ReleaseRanges>>>>> = {
    core: {
        // Optional components of old releases; their templates render the flag and URL even when off.
        WITH_CLAIR: [["v2.1.0", "v2.2.0"]],
        CLAIR_ADAPTER_URL: [["v2.1.0", "v2.2.0"]],
        WITH_CHARTMUSEUM: [["v2.1.0", "v2.8.0"]],
        CHART_REPOSITORY_URL: [["v2.1.0", "v2.8.0"]],
        CHART_CACHE_DRIVER: [["v2.1.0", "v2.8.0"]],
        WITH_NOTARY: [["v2.1.0", "v2.9.0"]],
        NOTARY_URL: [["v2.1.0", "v2.9.0"]],
        SYNC_QUOTA: [["v2.1.0", "v2.15.0"]],
        POSTGRESQL_CONN_MAX_LIFETIME: [["v2.7.0"]],
        POSTGRESQL_CONN_MAX_IDLE_TIME: [["v2.7.0"]],
        ROBOT_SCANNER_NAME_PREFIX: [["v2.8.0"]],
        // Back-ported to v2.7.3, absent from v2.8.0-v2.8.3.
        _REDIS_URL_HARBOR: [["v2.7.3", "v2.8.0"], ["v2.8.4"]],
        _REDIS_URL_CACHE_LAYER: [["v2.7.3", "v2.8.0"], ["v2.8.4"]],
        REPLICATION_ADAPTER_WHITELIST: [["v2.14.0"]],
    },
    jobservice: {
        JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT: [["v2.8.0"]],
        MAX_JOB_DURATION_SECONDS: [["v2.13.0", "v2.14.0"]],
        LOG_LEVEL: [["v2.13.1"]],
    },
    "trivy-adapter": {
        SCANNER_TRIVY_TIMEOUT: [["v2.4.0"]],
        SCANNER_TRIVY_OFFLINE_SCAN: [["v2.4.2"]],
        SCANNER_TRIVY_SECURITY_CHECKS: [["v2.6.2"]],
        // Arrived in v2.9.3, absent from v2.10.0, back from v2.10.1.
        SCANNER_TRIVY_SKIP_JAVA_DB_UPDATE: [["v2.9.3", "v2.10.0"], ["v2.10.1"]],
        SCANNER_TRIVY_DB_REPOSITORY: [["v2.15.0"]],
        SCANNER_TRIVY_JAVA_DB_REPOSITORY: [["v2.15.0"]],
    },
};

export function envForRelease(component: V2Component, version: string, env: Record<string, string>): Record<string, string> {
    const ranges = ENV_KEY_RELEASES[component] ?? {};
    return Object.fromEntries(Object.entries(env).filter(([k]) => !(k in ranges) || inReleases(version, ranges[k])));
}

export type SinceTable = ReadonlyArray<readonly [since: string, value: string]>;

/** The value for `version`: the last entry at or below it (undefined before the first). */
export function valueFor(version: string, table: SinceTable): string | undefined {
    let found: string | undefined;
    for (const [since, value] of table) if (atLeast(version, since)) found = value;
    return found;
}

/** core PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE: registry types a proxy-cache project may use. */
export const PROXY_CACHE_REGISTRY_TYPES: SinceTable = [
    ["v2.1.0", "docker-hub,harbor"],
    ["v2.2.0", "docker-hub,harbor,azure-acr,aws-ecr,google-gcr,quay"],
    ["v2.2.2", "docker-hub,harbor,azure-acr,aws-ecr,google-gcr,quay,docker-registry"],
    ["v2.6.0", "docker-hub,harbor,azure-acr,aws-ecr,google-gcr,quay,docker-registry,github-ghcr"],
    ["v2.7.0", "docker-hub,harbor,azure-acr,aws-ecr,google-gcr,quay,docker-registry,github-ghcr,jfrog-artifactory"],
    ["v2.12.0", "docker-hub,harbor,azure-acr,ali-acr,aws-ecr,google-gcr,quay,docker-registry,github-ghcr,jfrog-artifactory"],
    ["v2.14.0", "docker-hub,harbor,azure-acr,ali-acr,aws-ecr,google-gcr,docker-registry,github-ghcr,jfrog-artifactory"],
];

/**
 * core REPLICATION_ADAPTER_WHITELIST (v2.14.0+). Unset, Harbor 2.14+ allows NO adapter:
 * `/api/v2.0/replication/adapters` is empty and no replication or proxy-cache endpoint can be made.
 */
export const REPLICATION_ADAPTERS: SinceTable = [
    ["v2.14.0", "ali-acr,aws-ecr,azure-acr,docker-hub,docker-registry,github-ghcr,google-gcr,harbor,huawei-SWR,jfrog-artifactory,tencent-tcr,volcengine-cr"],
];

/**
 * Settings a release's templates must carry for the setting to work, by config key: the first
 * release that has it. Outside, config loading refuses the setting (names the key and release).
 * - redis.tls: registry/config.yml.jinja `enableTLS` (v2.13.0); before, distribution speaks plain TCP.
 * - redis.username: registry/config.yml.jinja `username` (v2.15.0); before, the registry would
 *   log in as the default user while core uses the ACL user.
 * - harbor.jobLoggers DB: jobservice/config.yml.jinja renders the chosen loggers from v2.9.0;
 *   before, it always renders STD_OUTPUT and FILE.
 * - harbor.maxJobDurationHours: jobservice reaper.max_update_hours from v2.13.0 (24 before).
 */
export const SETTING_SINCE = {
    "redis.tls": "v2.13.0",
    "redis.username": "v2.15.0",
    "harbor.jobLoggers DB": "v2.9.0",
    "harbor.maxJobDurationHours": "v2.13.0",
    /** The canary's robot account: POST /api/v2.0/robots with project permissions (robot API v2). */
    "verify.canary": "v2.2.0",
} as const;
