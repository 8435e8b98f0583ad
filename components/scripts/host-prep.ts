/**
 * Host preparation for one node: the directories Harbor's containers bind-mount, owned by
 * Harbor's uid. Idempotent (install -d), touches nothing outside the listed paths, never deletes.
 */
import { HARBOR_UID, NodePaths } from "../paths";
import { q, script } from "./shell";

/** Every directory this node needs, shared ones first. */
export function hostPrepDirs(p: NodePaths, trivy: boolean, extra: string[] = []): string[] {
    const dirs = [p.registry, p.jobLogs, p.logs, p.localRoot];
    if (trivy) dirs.push(p.trivyCache, p.trivyReports);
    return [...dirs, ...extra];
}

/** `requireMount`: the shared root must be a mountpoint (CephFS), so blobs never land on local disk. */
/** `extra`: directories only the release profile's containers mount (profiles/index.ts `hostDirs`). */
export function hostPrepCreate(p: NodePaths, trivy: boolean, requireMount: boolean, extra: string[] = []): string {
    const own = `${HARBOR_UID}:${HARBOR_UID}`;
    return script(
        `[ -d ${q(p.sharedRoot)} ] || { echo "harbor-ha: shared root ${p.sharedRoot} does not exist; is the storage mounted?" >&2; exit 1; }`,
        ...(requireMount
            ? [`mountpoint -q ${q(p.sharedRoot)} || { echo "harbor-ha: ${p.sharedRoot} is not mounted; refusing to create Harbor's shared directories on local disk" >&2; exit 1; }`]
            : []),
        `install -d -m 0755 ${q(p.sharedRoot + "/logs")}`,
        ...hostPrepDirs(p, trivy, extra).map(
            (d) => `install -d -m 0755 ${q(d)}; [ "$(stat -c %u:%g ${q(d)})" = "${own}" ] || chown ${own} ${q(d)}`,
        ),
        `echo "host-prep: ${hostPrepDirs(p, trivy, extra).length} directories ready"`,
    );
}
