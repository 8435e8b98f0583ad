/**
 * The Harbor 1.x lines this profile renders, as data. Every entry was read at that release's
 * tag in goharbor/harbor (Makefile image versions, make/common/templates/, make/ha/, the
 * photon Dockerfiles and src/adminserver/systemcfg/systemcfg.go); ../shared/reference/harbor-facts.md §2.
 */
import { inReleases } from "../v2/releases";

export type V1Line = "v1.5" | "v1.1";

export interface V1LineFacts {
    id: V1Line;
    releases: readonly string[];
    /** adminserver, ui and jobservice listen here (1.5: 8080 as uid 10000; 1.1: 80 as root). */
    appPort: number;
    /** The log container's syslog port (rsyslog listens on udp and tcp). */
    logPort: number;
    /** registry and nginx image names (name:tag) for a release; the rest are harbor-<component>:<version>. */
    registryImage(version: string): string;
    nginxImage(version: string): string;
    /**
     * Where adminserver keeps the settings: 1.5 in the shared database (`properties`), 1.1 in
     * /etc/adminserver/config/config.json, which every node must then share (CephFS here).
     */
    configStore: "database" | "json-file";
    /** jobservice: 1.5's queue is in Redis (config.yml), 1.1 queues in memory (app.conf). */
    jobQueue: "redis" | "memory";
    /** nginx sends /v2/ to the ui's registry proxy (1.5) or straight to the registry (1.1). */
    v2Upstream: "ui" | "registry";
    /** adminserver answers GET /api/ping without a secret (1.5); 1.1 has no ping. */
    adminserverPing: boolean;
}

export const V1_LINES: readonly V1LineFacts[] = [
    {
        id: "v1.5",
        releases: ["v1.5.0", "v1.5.1", "v1.5.2", "v1.5.3", "v1.5.4"],
        appPort: 8080,
        logPort: 10514,
        // Makefile REGISTRYVERSION=v2.6.2, image tag "$(REGISTRYVERSION)-$(VERSIONTAG)"; NGINXVERSION=$(VERSIONTAG).
        registryImage: (v) => `registry-photon:v2.6.2-${v}`,
        nginxImage: (v) => `nginx-photon:${v}`,
        configStore: "database",
        jobQueue: "redis",
        v2Upstream: "ui",
        adminserverPing: true,
    },
    {
        id: "v1.1",
        releases: ["v1.1.0", "v1.1.1", "v1.1.2"],
        appPort: 80,
        logPort: 514,
        // Makefile: REGISTRYVERSION=photon-2.6.0 (v1.1.0, v1.1.1), 2.6.1-photon (v1.1.2); NGINXVERSION=1.11.5-patched.
        registryImage: (v) => (v === "v1.1.2" ? "registry:2.6.1-photon" : "registry:photon-2.6.0"),
        nginxImage: () => "nginx:1.11.5-patched",
        configStore: "json-file",
        jobQueue: "memory",
        v2Upstream: "registry",
        adminserverPing: false,
    },
];

export function v1LineOf(version: string): V1LineFacts {
    const line = V1_LINES.find((l) => l.releases.includes(version));
    if (!line) throw new Error(`no Harbor 1.x line renders ${version}`);
    return line;
}

/**
 * adminserver re-reads its whole env only when RESET=true and RELOAD_KEY differs from the key
 * stored with the settings (systemcfg.go `isLoadAll`, v1.5.2+). Before v1.5.2, RESET=true
 * reloads the whole env on every start.
 */
export const RELOAD_KEY_RELEASES = [["v1.5.2", "v1.6.0"]] as const;

export const hasReloadKey = (version: string) => inReleases(version, RELOAD_KEY_RELEASES);
