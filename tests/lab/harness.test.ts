/**
 * The lab itself (tests/lab/lab.sh): nodes reachable as root with a key over stock sshd, each
 * with its own dockerd, FUSE and the packages the program expects; Ceph healthy with a client
 * key restricted to its path. If these fail, the component suites would fail for lab reasons.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import { describeLab } from "./fixture";
import { cephAdmin, copyToNode, labCeph, labInfo, labNodes, ssh, sshOut } from "./lab";

describeLab("L4 lab harness", function () {
    it("every node answers over SSH as root, with distinct hostnames and stock sshd limits", async function () {
        const names = [];
        for (const n of labNodes()) {
            const out = await sshOut(n, "hostname; sshd -T | grep -E '^(maxstartups|maxsessions) '");
            const [hostname, ...limits] = out.split("\n");
            assert.strictEqual(hostname, n.name);
            assert.deepStrictEqual(limits.sort(), ["maxsessions 10", "maxstartups 10:30:100"]);
            names.push(hostname);
        }
        assert.strictEqual(new Set(names).size, labNodes().length);
    });

    it("every node runs systemd, its own dockerd (overlay2) and has fuse, ceph-fuse, keepalived, haproxy, python3", async function () {
        for (const n of labNodes()) {
            const out = await sshOut(
                n,
                "systemctl is-system-running; docker info --format '{{.Driver}}'; test -c /dev/fuse && echo fuse; " +
                    "command -v ceph-fuse keepalived haproxy python3 curl | wc -l",
            );
            assert.deepStrictEqual(out.split("\n"), ["running", "overlay2", "fuse", "5"], `${n.name}: ${out}`);
        }
    });

    it("passes stdin through and copies files over SFTP like remote.Command / CopyToRemote", async function () {
        const r = await ssh(1, "cat > /tmp/lab-stdin && sha256sum < /tmp/lab-stdin | cut -d' ' -f1", { stdin: "secret-ish\n" });
        assert.strictEqual(r.stdout.trim(), crypto.createHash("sha256").update("secret-ish\n").digest("hex"));
        await copyToNode(2, "/tmp/lab-copied", "copied\n");
        assert.strictEqual(await sshOut(2, "cat /tmp/lab-copied"), "copied");
        await ssh(1, "rm -f /tmp/lab-stdin");
        await ssh(2, "rm -f /tmp/lab-copied");
    });

    it("runs a healthy Ceph with a client key restricted to its path", async function () {
        const c = labCeph();
        assert.match(await cephAdmin(["health"]), /HEALTH_OK/);
        const caps = await cephAdmin(["auth", "get", `client.${c.clientName}`]);
        assert.match(caps, new RegExp(`path=${c.path}`));
        assert.strictEqual(fs.statSync(c.secretPath).mode & 0o777, 0o600);
        assert.ok(labInfo().vip.startsWith(labInfo().subnet.replace(/\.0\/24$/, ".")));
    });
});
