/**
 * Host paths the program mounts over, chowns or deletes under: a system directory there would
 * be hidden or re-owned (mounting CephFS at /etc, chown -R 10000 on /var/lib/docker).
 */
import * as path from "path";
import { CheckContext, problem } from "./context";

/** Never a mount point or data root, nor anything under them. */
const SYSTEM_TREES = ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/run", "/sbin", "/sys", "/usr", "/var/lib/docker", "/var/lib/containerd", "/var/lib/dpkg", "/var/lib/apt", "/var/run", "/snap"];
/** Never exactly these (their subdirectories are fine: /mnt/harbor, /var/lib/harbor-ha, /srv/harbor). */
const SYSTEM_DIRS = ["/", "/home", "/mnt", "/media", "/opt", "/srv", "/tmp", "/var", "/var/lib", "/var/log", "/var/tmp"];

const under = (p: string, root: string) => p === root || p.startsWith(root.endsWith("/") ? root : `${root}/`);

/** Why `p` must not be a directory the program owns, or undefined. */
export function systemPathProblem(p: string): string | undefined {
    const norm = path.posix.normalize(p).replace(/(.)\/+$/, "$1");
    if (norm !== p) return `write it in normal form (${norm}); "..", "." and doubled or trailing slashes are not accepted`;
    if (SYSTEM_DIRS.includes(norm)) return `${norm} is a system directory; use a directory of its own below it, e.g. ${norm === "/" ? "/mnt" : norm}/harbor`;
    const tree = SYSTEM_TREES.find((t) => under(norm, t));
    if (tree) return `is inside ${tree}, which belongs to the operating system or Docker; use e.g. /mnt/harbor or /var/lib/harbor-ha`;
    return undefined;
}

export function checkPaths(c: CheckContext): void {
    const st = c.p.storage;
    for (const [field, value] of [["storage.mountPoint", st.mountPoint], ["storage.localRoot", st.localRoot]] as const) {
        const why = systemPathProblem(value);
        if (why) problem(c, field, why);
    }
    if (under(st.localRoot, st.mountPoint)) problem(c, "storage.localRoot", `is inside storage.mountPoint (${st.mountPoint}); node-local data must not be on the shared filesystem: use e.g. /var/lib/harbor-ha`);
    else if (under(st.mountPoint, st.localRoot)) problem(c, "storage.mountPoint", `is inside storage.localRoot (${st.localRoot}); use separate directories, e.g. /mnt/harbor and /var/lib/harbor-ha`);
    if (st.cephfs && path.posix.normalize(st.cephfs.path) !== st.cephfs.path) problem(c, "storage.cephfs.path", `write it in normal form (${path.posix.normalize(st.cephfs.path)})`);
    const imp = c.p.database.import;
    if (imp && path.posix.normalize(imp.path) !== imp.path) problem(c, "database.import.path", `write it in normal form (${path.posix.normalize(imp.path)})`);
}
