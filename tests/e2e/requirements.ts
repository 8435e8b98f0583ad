/**
 * What the end-to-end suite needs, and where it takes it from. Nothing is downloaded here.
 *
 * - Pulumi: the CLI, the Node.js language host and the command, docker, random and tls plugins
 *   at the versions the npm SDKs ask for, registered in the toolchain's PULUMI_HOME. On a machine
 *   that can download plugins, `HARBOR_HA_E2E_ONLINE=1` uses the `pulumi` on PATH and lets it
 *   fetch them. Otherwise the toolchain `scripts/toolchain/install.sh` prepares
 *   (`HARBOR_HA_TOOLCHAIN`, default .toolchain/), with plugin binaries from
 *   `HARBOR_HA_PLUGIN_DIR` where the environment names a directory of them.
 * - Harbor images: `HARBOR_HA_E2E_IMAGES` = a `docker save` tarball of them (path), or
 *   `docker:<prefix>` for images in this host's Docker under that prefix; either way they are
 *   loaded into every lab node and the stack's `harbor.imageRegistry` is that prefix. With
 *   `HARBOR_HA_E2E_ONLINE=1` and no images named, the nodes pull `docker.io/goharbor/...`.
 * - The lab (`HARBOR_HA_LAB=1`, root, Debian) and Debian's PostgreSQL and Redis servers.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { labEnabled } from "../lab/lab";
import { requireToolchain } from "../engine/toolchain";

export const HARBOR_VERSION = "v2.15.2";
/** Image names of the v2 profile (components/profiles/v2/context.ts), without trivy. */
export const HARBOR_IMAGES = ["harbor-log", "registry-photon", "harbor-registryctl", "harbor-core", "harbor-portal", "harbor-jobservice", "nginx-photon"];

export type ImageSource = { kind: "tarball"; path: string; prefix: string } | { kind: "docker"; prefix: string } | { kind: "pull"; prefix: string };

export interface E2eRequirements {
    online: boolean;
    images?: ImageSource;
    /** One line per missing piece; empty when the suite can run. */
    missing: string[];
}

/** The repository prefix the images in a tarball carry (from its manifest), e.g. "goharbor". */
function tarballPrefix(path: string): string | undefined {
    const r = spawnSync("sh", ["-c", `tar -xOf "$1" manifest.json`, "sh", path], { encoding: "utf8", maxBuffer: 1 << 24 });
    if (r.status !== 0) return undefined;
    const tags: string[] = (JSON.parse(r.stdout) as { RepoTags?: string[] }[]).flatMap((m) => m.RepoTags ?? []);
    const core = tags.find((t) => t.endsWith(`/harbor-core:${HARBOR_VERSION}`));
    return core?.slice(0, core.lastIndexOf("/harbor-core:"));
}

function imageSource(online: boolean, missing: string[]): ImageSource | undefined {
    const named = process.env.HARBOR_HA_E2E_IMAGES;
    if (!named) {
        if (online) return { kind: "pull", prefix: "docker.io/goharbor" };
        missing.push(`Harbor ${HARBOR_VERSION} images: set HARBOR_HA_E2E_IMAGES to a docker-save tarball or docker:<prefix>`);
        return undefined;
    }
    if (named.startsWith("docker:")) {
        const prefix = named.slice("docker:".length);
        const absent = HARBOR_IMAGES.filter((i) => spawnSync("docker", ["image", "inspect", `${prefix}/${i}:${HARBOR_VERSION}`], { stdio: "ignore" }).status !== 0);
        if (absent.length > 0) missing.push(`Harbor images in this host's Docker under ${prefix}: missing ${absent.join(", ")}`);
        return { kind: "docker", prefix };
    }
    if (!fs.existsSync(named)) {
        missing.push(`HARBOR_HA_E2E_IMAGES=${named}: no such file`);
        return undefined;
    }
    const prefix = tarballPrefix(named);
    if (!prefix) missing.push(`HARBOR_HA_E2E_IMAGES=${named}: no */harbor-core:${HARBOR_VERSION} in the tarball's manifest.json`);
    return prefix ? { kind: "tarball", path: named, prefix } : undefined;
}

export function e2eRequirements(): E2eRequirements {
    const missing: string[] = [];
    const online = process.env.HARBOR_HA_E2E_ONLINE === "1";
    if (!labEnabled()) missing.push("the lab: set HARBOR_HA_LAB=1 (root + Debian)");
    if (!online) {
        try {
            requireToolchain(["command", "docker", "random", "tls"]);
        } catch (e) {
            const short = String((e as Error).message)
                .split("\n")
                .filter((l) => l.startsWith("  - "))
                .map((l) => /^  - no Pulumi CLI/.test(l) ? "CLI" : /^  - no (\S+) in/.exec(l)?.[1] ?? /^  - resource plugin (\S+ v\S+)/.exec(l)?.[1] ?? l.slice(4));
            missing.push(`Pulumi toolchain (${short.join(", ")}: scripts/toolchain/install.sh, HARBOR_HA_PLUGIN_DIR)`);
        }
    }
    for (const exe of ["redis-server", "/usr/lib/postgresql"]) {
        const found = exe.startsWith("/") ? fs.existsSync(exe) : spawnSync("sh", ["-c", `command -v ${exe}`]).status === 0;
        if (!found) missing.push(`${exe} (scripts/ci/install-services.sh)`);
    }
    const images = imageSource(online, missing);
    return { online, images, missing };
}
