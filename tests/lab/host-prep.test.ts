/**
 * L4: HostPrep on the lab. The component's captured create command runs over SSH on each node,
 * on top of the real CephFS mount made by the component's own CephFsMount command (the order the
 * program declares them in).
 */
import * as assert from "assert";
import { nodePaths } from "../../components/paths";
import { hostPrepDirs } from "../../components/scripts/host-prep";
import { describeLab } from "./fixture";
import { labNodes, LabNode, ssh, sshOut } from "./lab";
import { evaluateForLab, LabProgram } from "./program";

const CONTAINER = "docker:index/container:Container";

describeLab("L4 HostPrep on the lab", function () {
    let prog: LabProgram;
    const dirs = (n: LabNode) => hostPrepDirs(nodePaths(prog.ev.spec.storage, n.name), prog.ev.spec.harbor.trivy);
    /** owner, mode, mtime and ctime of each directory (a chown/chmod/mkdir would change one). */
    const snapshot = (n: LabNode) => sshOut(n, `stat -c '%n %u:%g %a %Y %Z %i' ${dirs(n).join(" ")}`);

    before(async function () {
        this.timeout(180_000);
        prog = await evaluateForLab();
        // the shared root must be the mounted CephFS: the program mounts it first
        await Promise.all(labNodes().map((n) => prog.ok(`${n.name}-storage-mount`)));
    });

    it("creates every directory the node's containers bind-mount, owned by 10000:10000, on every node", async function () {
        await Promise.all(labNodes().map((n) => prog.ok(`${n.name}-host-dirs`)));
        for (const n of labNodes()) {
            const out = await sshOut(n, `stat -c '%n %u:%g %a %F' ${dirs(n).join(" ")}`);
            for (const line of out.split("\n")) assert.match(line, / 10000:10000 755 directory$/, `${n.name}: ${line}`);
            // what the program's containers mount from this host exists now
            const sources = prog.ev
                .byType(CONTAINER)
                .filter((c) => c.name.startsWith(`${n.name}-`))
                .flatMap((c) => ((c.inputs.mounts ?? []) as { type: string; source: string }[]).filter((m) => m.type === "bind").map((m) => m.source));
            assert.ok(sources.length > 0);
            for (const s of new Set(sources)) assert.ok(dirs(n).includes(s), `${n.name}: container mount ${s} is not prepared by HostPrep`);
        }
    });

    it("is idempotent: a second run changes no owner, mode, mtime or ctime", async function () {
        const before = await Promise.all(labNodes().map(snapshot));
        await Promise.all(labNodes().map((n) => prog.ok(`${n.name}-host-dirs`)));
        const after = await Promise.all(labNodes().map(snapshot));
        assert.deepStrictEqual(after, before);
    });

    it("gives each node its own log directory on the shared filesystem", async function () {
        const logDirs = labNodes().map((n) => nodePaths(prog.ev.spec.storage, n.name).logs);
        assert.strictEqual(new Set(logDirs).size, labNodes().length);
        // each node's log container writes into its own directory
        for (const [i, n] of labNodes().entries()) {
            const log = prog.ev.one(CONTAINER, `${n.name}-harbor-log`);
            assert.strictEqual(log.inputs.mounts[0].source, logDirs[i]);
        }
        // all of them visible from one node, as distinct directories (distinct inodes)
        const seen = await sshOut(labNodes()[0], `stat -c '%i %u:%g' ${logDirs.join(" ")}`);
        const inodes = seen.split("\n").map((l) => l.split(" ")[0]);
        assert.strictEqual(new Set(inodes).size, labNodes().length, seen);
        for (const l of seen.split("\n")) assert.match(l, / 10000:10000$/);
    });

    it("touches nothing outside the configured paths (and their parent directories)", async function () {
        const n = labNodes()[labNodes().length - 1];
        const p = nodePaths(prog.ev.spec.storage, n.name);
        const configured = [...dirs(n), `${p.sharedRoot}/logs`];
        // start this node from nothing: its local root and its own log dir
        await ssh(n, `rm -rf ${p.localRoot} ${p.logs}; touch /root/.lab-marker; sleep 1.1`);
        await prog.ok(`${n.name}-host-dirs`);
        const changed = await sshOut(
            n,
            "M=/root/.lab-marker; " +
                "{ find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/lib/docker \\) -prune " +
                "-o \\( -newer $M -o -cnewer $M \\) -print; " +
                `find ${p.sharedRoot} -maxdepth 3 \\( -newer $M -o -cnewer $M \\) -print; } | sort -u; rm -f $M`,
        );
        const allowed = new Set<string>();
        for (const d of configured) for (let x = d; x !== "/" && x !== ""; x = x.replace(/\/[^/]+$/, "") || "/") allowed.add(x);
        const outside = changed.split("\n").filter((x) => x && !allowed.has(x));
        console.log(`      ${n.name}: changed since the marker: ${changed.split("\n").join(" ")}`);
        assert.deepStrictEqual(outside, [], `changed outside the configured paths: ${outside.join(", ")}`);
        // the directories removed above were created again, and the check saw it (else it proves nothing)
        for (const d of dirs(n).filter((x) => x.startsWith(p.localRoot) || x === p.logs)) assert.ok(changed.split("\n").includes(d), `${d} was not (re)created`);
    });
});
