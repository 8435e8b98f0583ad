/**
 * Per-release values of the v2 profile, as data: each table lists the first release whose
 * templates carry a value, and the value; a release takes the last entry at or below it.
 * Source: goharbor/harbor make/photon/prepare/templates/core/env.jinja at every v2 tag
 * (tests/fixtures/harbor-templates/core-env-registry-types.tsv holds them; an L0 test compares).
 */
import { atLeast } from "./version";

export type SinceTable = ReadonlyArray<readonly [since: string, value: string]>;

/** The value for `version`, or undefined when the release predates the first entry. */
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

/** Releases as half-open ranges [from, before); `before` undefined = every later release. */
export type ReleaseRanges = ReadonlyArray<readonly [from: string, before?: string]>;

export function inReleases(version: string, ranges: ReleaseRanges): boolean {
    return ranges.some(([from, before]) => atLeast(version, from) && (before === undefined || !atLeast(version, before)));
}

/**
 * trivy-adapter env keys that only some releases' templates carry
 * (make/photon/prepare/templates/trivy-adapter/env.jinja at every v2 tag; the L0 test compares
 * with tests/fixtures/harbor-templates/trivy-env-keys.tsv). SKIP_JAVA_DB_UPDATE arrived in
 * v2.9.3, is absent from v2.10.0 and back from v2.10.1.
 */
export const TRIVY_ENV_RELEASES: Readonly<Record<string, ReleaseRanges>> = {
    SCANNER_TRIVY_OFFLINE_SCAN: [["v2.4.2"]],
    SCANNER_TRIVY_SKIP_JAVA_DB_UPDATE: [["v2.9.3", "v2.10.0"], ["v2.10.1"]],
    SCANNER_TRIVY_DB_REPOSITORY: [["v2.15.0"]],
    SCANNER_TRIVY_JAVA_DB_REPOSITORY: [["v2.15.0"]],
};
