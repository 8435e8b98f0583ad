/**
 * The profile seam: `harbor.version` picks exactly one release profile, and everything that
 * differs between Harbor release lines is answered here (containers, balancer probes, database
 * engine, what the line cannot do). The rest of the program (CephFS, secrets, balancers, the
 * database and Redis layer, rolling waves) asks the profile and never the version.
 */
import type { ClusterSpec, NodeSpec } from "../config/spec";
import type { NodePaths } from "../paths";
import type { ContainerSpec, NodeProbe, SharedValues } from "./types";
import { renderV1Node, v1NodeProbes } from "./v1";
import { V1_LINES, V1Line } from "./v1/releases";
import { renderV2Node } from "./v2";
import { v2NodeProbes } from "./v2/probes";
import { SUPPORTED_RELEASES as V2_RELEASES } from "./v2/releases";
import { v2UpgradePath } from "./v2/upgrade-path";
import { ONE_SHOT_MIGRATION_SINCE } from "./v2/core";

/**
 * Settings some release lines cannot carry. A profile that lacks one says why; config loading
 * refuses the setting with that reason instead of dropping it (components/config/checks/profile.ts).
 */
export type Feature =
    | "redis.sentinel" | "redis.tls" | "redis.username" | "harbor.trivy" | "harbor.jobLoggers" | "harbor.maxJobDurationHours"
    | "proxy" | "trustedCaCertificates" | "database.sslmode" | "database.pool" | "verify.canary";

export type ProfileId = "v2" | V1Line;

export interface HarborProfile {
    id: ProfileId;
    /** Tags this profile was checked against, oldest first. */
    releases: readonly string[];
    /** The only database engine the line speaks. */
    databaseEngine: "postgresql" | "mysql";
    /** Database and Redis layer generation (version floors, Redis URL forms). */
    generation: "v1" | "v2";
    /** Image prefix when harbor.imageRegistry is not set (the line's upstream namespace). */
    defaultImageRegistry: string;
    /**
     * Whether Harbor creates its own tables on first start. Harbor 1.x does not (its harbor-db
     * image loaded registry.sql): the schema must come in through database.import.
     */
    createsSchema: boolean;
    /** Features this line cannot carry, each with the reason shown to the user. */
    lacks: Partial<Record<Feature, string>>;
    render(spec: ClusterSpec, node: NodeSpec, shared: SharedValues, stack: string): ContainerSpec[];
    /** What the balancers and the rollout gate probe on a node (node-local answers only). */
    probes(spec: ClusterSpec, node: NodeSpec): NodeProbe[];
    /** Host directories only this profile's containers mount, beyond the common NodePaths ones. */
    hostDirs(paths: NodePaths): string[];
    /** How a change of harbor.version within this line is carried out (components/upgrade). */
    upgrade: UpgradeTraits;
}

export interface UpgradeTraits {
    /**
     * From this release on the schema is migrated by one one-shot `harbor_core -mode=migrate`
     * and every core runs `-mode=skip-migrate` (the flag arrived in v2.5.0, src/core/main.go);
     * undefined: the line has no in-core migration to coordinate.
     */
    oneShotMigrationSince?: string;
    /** Whether the line has a read-only mode harbor-ha can switch with the stack's own secret. */
    readOnlyWindow: boolean;
    /**
     * Releases a one-step upgrade may come from, as a rule text and a check. Harbor's own guides
     * say which older versions each release migrates from.
     */
    supportsPath(from: string, to: string): string | undefined;
}

const V2: HarborProfile = {
    id: "v2",
    releases: V2_RELEASES,
    databaseEngine: "postgresql",
    generation: "v2",
    defaultImageRegistry: "docker.io/goharbor",
    createsSchema: true,
    lacks: {},
    render: renderV2Node,
    probes: v2NodeProbes,
    hostDirs: () => [],
    upgrade: {
        oneShotMigrationSince: ONE_SHOT_MIGRATION_SINCE,
        readOnlyWindow: true,
        supportsPath: v2UpgradePath,
    },
};

/** Harbor 1.x (MySQL era): what the line cannot do that the 2.x profile offers. */
const V1_LACKS: Partial<Record<Feature, string>> = {
    "redis.sentinel": "talks to one Redis address only (beego's session provider and the registry's cache have no Sentinel client): use redis.mode standalone",
    "redis.tls": "has no TLS client for Redis: use a plain-TCP Redis on a trusted network",
    "redis.username": "logs in to Redis with a password only (no ACL users): remove redis.username",
    "harbor.trivy": "has no Trivy (its scanner was Clair, which harbor-ha does not deploy): set harbor.trivy: false",
    "harbor.jobLoggers": "always writes job logs to files (on CephFS here): remove harbor.jobLoggers",
    "harbor.maxJobDurationHours": "has no job duration limit: remove harbor.maxJobDurationHours",
    proxy: "has no outbound proxy settings in its templates: remove the proxy key",
    trustedCaCertificates: "images have no trust-bundle hook (/harbor_cust_cert arrived in 2.x): remove trustedCaCertificates",
    "database.sslmode": "connects to MySQL without TLS: use database.sslmode: disable on a trusted network",
    "database.pool": "has no connection pool settings: remove database.maxIdleConns, maxOpenConns, connMaxLifetime and connMaxIdleTime",
    "verify.canary": "has no robot accounts, which the canary pushes with: remove verify.canary",
};

const V1_PROFILES: HarborProfile[] = V1_LINES.map((line) => ({
    id: line.id,
    releases: line.releases,
    databaseEngine: "mysql",
    generation: "v1",
    defaultImageRegistry: "docker.io/vmware",
    createsSchema: false,
    lacks: V1_LACKS,
    render: renderV1Node,
    probes: v1NodeProbes,
    hostDirs: (paths) => (line.configStore === "json-file" ? [paths.adminserverConfig] : []),
    upgrade: {
        oneShotMigrationSince: undefined,
        // 1.x's read-only flag is switched through the admin's own API login only.
        readOnlyWindow: false,
        // registry.sql is byte-identical across v1.5.0-v1.5.4 and across v1.1.0-v1.1.2 (git diff
        // of the tags): patch upgrades within a line change images, never the schema.
        supportsPath: () => undefined,
    },
}));

export const PROFILES: readonly HarborProfile[] = [V2, ...V1_PROFILES];

/** Every release some profile renders, newest line first. */
export const ALL_RELEASES: readonly string[] = PROFILES.flatMap((p) => p.releases);

export function profileForVersion(version: string): HarborProfile | undefined {
    return PROFILES.find((p) => p.releases.includes(version));
}

export function profileOf(spec: ClusterSpec): HarborProfile {
    const p = PROFILES.find((x) => x.id === spec.harbor.profile);
    if (!p) throw new Error(`no release profile ${spec.harbor.profile}`);
    return p;
}
