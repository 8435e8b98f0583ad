/**
 * L4: CephFsMount on the lab with the FUSE client, against a real Ceph cluster (Debian's 16.2
 * packages: mon, mgr, osd, mds) and the real client key restricted to /harbor. The commands are
 * the component's own (create/delete strings and stdin captured under mocks, see program.ts);
 * they run over SSH as root on the node their connection names.
 */
import * as assert from "assert";
import { cephFiles } from "../../components/scripts/cephfs";
import { describeLab } from "./fixture";
import { labCeph, labNodes, LabNode, ssh, sshOut } from "./lab";
import { evaluateForLab, LabProgram } from "./program";

describeLab("L4 CephFsMount on the lab (ceph-fuse)", function () {
    let prog: LabProgram;
    let mnt: string;
    let files: { conf: string; secret: string };
    let key: string;
    let n1: LabNode, n2: LabNode, n3: LabNode;
    const runId = `lab-${Date.now()}`;
    const mountName = (n: LabNode) => `${n.name}-storage-mount`;
    /** The mount table entry for the mount point, read from /proc/mounts (never stats the mount). */
    const mountEntry = (n: LabNode) => sshOut(n, `awk -v m=${mnt} '$2 == m { print $1, $3 }' /proc/mounts`);
    const fstabLines = async (n: LabNode) => Number(await sshOut(n, `awk -v m=${mnt} '$2 == m' /etc/fstab | wc -l`));

    before(async function () {
        this.timeout(120_000);
        prog = await evaluateForLab();
        const storage = prog.ev.spec.storage;
        mnt = storage.mountPoint;
        files = cephFiles({ ceph: storage.cephfs!, mountPoint: mnt });
        key = prog.command(mountName(labNodes()[0])).inputs.stdin as string;
        [n1, n2, n3] = labNodes();
        assert.ok(key && key.length >= 40, "the captured stdin is the lab's client key");
        // a lab that is reused may hold mounts from an earlier run: start from the delete path
        await Promise.all(labNodes().map((n) => prog.ok(mountName(n), "delete")));
    });

    it("declares one mount command per node, targeting that node, with the key on stdin only", function () {
        for (const n of labNodes()) {
            const c = prog.command(mountName(n));
            assert.strictEqual(c.inputs.connection.host, n.ip);
            assert.strictEqual(c.inputs.stdin, key);
            for (const phase of ["create", "delete"]) assert.ok(!String(c.inputs[phase]).includes(key), `${phase} command carries the key`);
        }
    });

    it("mounts CephFS on every node (create), fuse.ceph-fuse at the configured mount point", async function () {
        const results = await Promise.all(labNodes().map((n) => prog.ok(mountName(n), "create", { timeoutMs: 120_000 })));
        for (const [i, n] of labNodes().entries()) {
            assert.match(results[i].stdout, /mounted and writable by uid 10000/);
            assert.strictEqual(await mountEntry(n), "ceph-fuse fuse.ceph-fuse", `${n.name} /proc/mounts`);
            console.log(`      ${n.name}: create took ${results[i].durationMs} ms`);
        }
    });

    it("changes nothing when create runs again: files, fstab, the mount itself; the fstab entry appears once", async function () {
        const probe = `stat -c '%n %i %Y %Z %a' ${files.secret} ${files.conf} /etc/fstab; ` +
            `ps -eo pid=,args= | awk -v m=${mnt} '$2 ~ /ceph-fuse$/ { for (i = 3; i <= NF; i++) if ($i == m) print "ceph-fuse", $1 }'`;
        const before = await sshOut(n1, probe);
        const r = await prog.ok(mountName(n1));
        const after = await sshOut(n1, probe);
        assert.strictEqual(after, before, "inode/mtime/ctime/mode of secret, conf, fstab or the ceph-fuse pid changed");
        assert.match(after, /ceph-fuse \d+/, "ceph-fuse process serving the mount");
        assert.match(r.stdout, new RegExp(`${files.secret}: unchanged`));
        assert.match(r.stdout, new RegExp(`${files.conf}: unchanged`));
        assert.doesNotMatch(r.stdout, /fstab: updated/);
        for (const n of labNodes()) assert.strictEqual(await fstabLines(n), 1, `${n.name}: fstab lines for ${mnt}`);
    });

    it("comes back with `mount -a` after an unmount (the fstab entry is complete)", async function () {
        await ssh(n1, `umount ${mnt}`);
        assert.strictEqual(await mountEntry(n1), "");
        await ssh(n1, "timeout 60 mount -a", { timeoutMs: 70_000 });
        assert.strictEqual(await mountEntry(n1), "ceph-fuse fuse.ceph-fuse");
    });

    it("shares data: 4 MiB written on node1 reads byte-identical on node3", async function () {
        const dir = `${mnt}/${runId}`;
        // written as Harbor's uid, like registry blobs
        const w = await sshOut(n1, `setpriv --reuid=10000 --regid=10000 --clear-groups sh -c 'mkdir -p ${dir} && head -c 4194304 /dev/urandom > ${dir}/blob && sync ${dir}/blob && sha256sum < ${dir}/blob'`);
        const r = await sshOut(n3, `stat -c %s ${dir}/blob && sha256sum < ${dir}/blob`);
        assert.strictEqual(r, `4194304\n${w}`);
    });

    it("is writable by Harbor's uid 10000 from every node", async function () {
        for (const n of labNodes()) {
            const f = `${mnt}/${runId}/uid10000-${n.name}`;
            const out = await sshOut(n, `setpriv --reuid=10000 --regid=10000 --clear-groups sh -c 'echo x > ${f} && stat -c %u:%g ${f}'`);
            assert.strictEqual(out, "10000:10000", n.name);
        }
        assert.strictEqual(await sshOut(n2, `stat -c %u:%g ${mnt}`), "10000:10000");
    });

    it("keeps the key in a root-only 0600 file and out of every command line (ps) and log", async function () {
        for (const n of labNodes()) assert.strictEqual(await sshOut(n, `stat -c '%a %U:%G' ${files.secret}`), "600 root:root", n.name);
        // Watch every process's argv on node2 while create mounts afresh (so ceph-fuse starts).
        await ssh(n2, `umount ${mnt}`);
        await ssh(n2, "rm -f /tmp/lab-ps; setsid sh -c 'for i in $(seq 1 1500); do ps -eo args >> /tmp/lab-ps; sleep 0.02; done' >/dev/null 2>&1 < /dev/null & echo $! > /tmp/lab-ps.pid");
        const r = await prog.ok(mountName(n2));
        await ssh(n2, "sleep 0.5; kill $(cat /tmp/lab-ps.pid) 2>/dev/null; rm -f /tmp/lab-ps.pid");
        assert.ok(!(r.stdout + r.stderr).includes(key), "create printed the key");
        // the sampler must have seen the mount happen, or this test proves nothing
        assert.match(await sshOut(n2, "grep -c -- '--keyfile\\|ceph.keyfile\\|ceph-fuse' /tmp/lab-ps || true"), /^[1-9]/, "ps sampler saw no ceph-fuse");
        // search with the key on stdin (into a root-only file), so the search puts it on no command line
        const where = await sshOut(
            n2,
            "umask 077; cat > /root/.lab-key-probe; " +
                `{ grep -rlF -f /root/.lab-key-probe /tmp/lab-ps /etc/fstab ${files.conf} /var/log /tmp 2>/dev/null; ` +
                "journalctl --no-pager -o cat | grep -qF -f /root/.lab-key-probe && echo journal; } || true; rm -f /root/.lab-key-probe",
            { stdin: key },
        );
        assert.strictEqual(where, "", `key found in: ${where}`);
        await ssh(n2, "rm -f /tmp/lab-ps");
    });

    it("delete unmounts and removes the fstab line and key file; the data stays on CephFS", async function () {
        const r = await prog.ok(mountName(n2), "delete");
        assert.match(r.stdout, /unmounted; data left on CephFS/);
        assert.strictEqual(await mountEntry(n2), "");
        assert.strictEqual(await fstabLines(n2), 0);
        assert.strictEqual(await sshOut(n2, `ls ${files.secret} ${files.conf} 2>/dev/null | wc -l`), "0");
        // still there for the nodes that keep their mount, and for node2 after mounting again
        assert.strictEqual(await sshOut(n3, `stat -c %s ${mnt}/${runId}/blob`), "4194304");
        await prog.ok(mountName(n2));
        assert.strictEqual(await sshOut(n2, `stat -c %s ${mnt}/${runId}/blob`), "4194304");
    });

    describe("failures are clear and bounded", function () {
        /** Bring node2 back to the good state: the real program's delete, then create. */
        async function restore(): Promise<void> {
            await prog.ok(mountName(n2), "delete");
            await prog.ok(mountName(n2), "create");
        }
        after(async function () {
            this.timeout(180_000);
            await restore();
        });

        it("a wrong key fails with the component's message, and leaves no mount or ceph-fuse behind", async function () {
            await prog.ok(mountName(n2), "delete");
            const wrongKey = await sshOut(n2, "ceph-authtool --gen-print-key");
            assert.notStrictEqual(wrongKey, key);
            const r = await prog.run(mountName(n2), "create", { stdin: wrongKey, timeoutMs: 120_000 });
            console.log(`      wrong key: exit ${r.code} after ${r.durationMs} ms; stderr: ${r.stderr.trim().split("\n").join(" | ")}`);
            assert.notStrictEqual(r.code, 0);
            assert.ok(r.durationMs < 60_000, `took ${r.durationMs} ms`);
            // clear: says it is the mount that failed, points at the key, and passes on the client's reason
            assert.match(r.stderr, /harbor-ha: mounting CephFS .*check the cephKey secret/);
            assert.match(r.stderr, /failed to fetch mon config|permission denied|authenticat|Mount failed/i);
            assert.strictEqual(await mountEntry(n2), "");
            assert.strictEqual(await sshOut(n2, `ps -eo args | grep -c '^ceph-fuse.* ${mnt}' || true`), "0");
        });

        it("an unreachable monitor fails with the component's message within its timeout", async function () {
            await prog.ok(mountName(n2), "delete");
            // a lab address nobody holds (.250 of the lab subnet): the monitor of a typo'd config
            const deadMon = labCeph().monIp.replace(/\.\d+$/, ".250");
            const bad = await evaluateForLab({
                storage: { type: "cephfs", cephfs: { monitors: [`${deadMon}:6789`], path: labCeph().path, clientName: labCeph().clientName, client: "fuse" } },
            });
            const r = await bad.run(mountName(n2), "create", { timeoutMs: 150_000 });
            console.log(`      unreachable monitor: exit ${r.code} after ${r.durationMs} ms; stderr: ${r.stderr.trim().split("\n").join(" | ")}`);
            assert.notStrictEqual(r.code, 0);
            assert.ok(r.durationMs < 90_000, `took ${r.durationMs} ms`);
            assert.match(r.stderr, new RegExp(`harbor-ha: mounting CephFS .* from ${deadMon.replace(/\./g, "\\.")}:6789 failed.*storage\\.cephfs\\.monitors`));
            assert.strictEqual(await mountEntry(n2), "");
            const left = await sshOut(n2, `ps -eo args | grep -c '^ceph-fuse.* ${mnt}' || true`);
            assert.strictEqual(left, "0", "a ceph-fuse process is left trying");
            await bad.ok(mountName(n2), "delete");
        });
    });
});
