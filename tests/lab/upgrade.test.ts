/**
 * L4: a Harbor version change (v2.14.1 -> v2.15.2) on the lab's 3 nodes, through the program's
 * own steps in the engine's order (the order itself is checked in tests/mocks/upgrade.test.ts):
 * read-only window -> the one migrator on node1 -> wave 1 (node1: drain, containers replaced,
 * gate) -> wave 2 (node2 and node3 together) -> lift. Requests go through the VIP throughout,
 * through the program's haproxy and keepalived.
 *
 * Stand-ins, each for a piece of Harbor that cannot run here (no registry to pull images from):
 * - each node's Harbor: tests/lab/harbor-standin.ts (health body replayed from a real Harbor
 *   v2.15.2; `/standin/node` names the node and the version its "containers" run; writes get
 *   Harbor's read-only 403 while the shared switch is on);
 * - the database every core shares, as far as the read-only switch goes: one
 *   tests/support/harbor-config-standin.ts server on the lab host (answers captured from a real harbor_core v2.15.2);
 * - the new core image on node1: an image built there from the lab's Debian base whose
 *   `/harbor/harbor_core` prints its arguments and the database it was given and exits 0 (or 3,
 *   for the failure case); the program's migrator command runs it exactly as it would run
 *   goharbor/harbor-core.
 * - the backup is not run here (no database in the lab): tests/services/upgrade-backup.test.ts
 *   runs it against real PostgreSQL and MariaDB.
 * - "replacing a node's containers" is the stand-in going away for 3 s and coming back with the
 *   new version, as in the rolling-restart test.
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as https from "https";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { q } from "../../components/scripts/shell";
import { MIGRATOR_CONTAINER } from "../../components/scripts/upgrade";
import { upgradeWaves } from "../../components/rollout";
import { liftWindow, openWindow, ReadOnlyWindowProps, WindowRecord } from "../../components/upgrade/read-only";
import { ConfigStandin, startConfigStandin } from "../support/harbor-config-standin";
import { describeLab } from "./fixture";
import { FLAGS_DIR, STANDIN_DIR } from "./harbor-standin";
import { labInfo, labNodes, loadBaseImage, ssh, sshOut } from "./lab";
import { installBalancers, installStandins, removeStandins, Req, VipClient } from "./lb-lab";
import { evaluateForLab, LabProgram } from "./program";

const FROM = "v2.14.1";
const TO = "v2.15.2";
const MIGRATE = "harbor-upgrade-3-migrate";

describeLab("L4 a Harbor version change on the lab (program's window, migrator, drains and gates; 3 nodes, VIP)", function () {
    this.timeout(15 * 60_000);
    let prog: LabProgram;
    let core: ConfigStandin;
    let windowProps: ReadOnlyWindowProps;
    let client: VipClient;
    let cert: { cert: string; key: string };
    const results: string[] = [];

    /** The dynamic provider's process, for the watchdog to outlive: killed to end "the up". */
    let provider: ChildProcess | undefined;
    const startProvider = () => (provider = spawn("sleep", ["3600"], { stdio: "ignore" }));

    /** A write through the VIP, as a push's first request would be. */
    function vipWrite(): Promise<{ status: number; body: string }> {
        const lab = labInfo();
        return new Promise((resolve, reject) => {
            const req = https.request(
                { host: lab.vip, port: prog.ev.spec.loadBalancer.frontendPort, method: "POST", path: "/v2/library/canary/blobs/uploads/", ca: cert.cert, servername: prog.ev.spec.harbor.hostname, headers: { Host: prog.ev.spec.harbor.hostname, "Content-Length": "0" }, agent: false, timeout: 5000 },
                (res) => {
                    let body = "";
                    res.on("data", (d) => (body += d));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
                },
            );
            req.on("error", reject);
            req.end();
        });
    }

    /** The stand-in core image on node1, under the name the program's migrator runs. */
    async function buildCoreStandin(exitCode: number): Promise<void> {
        const node1 = labNodes()[0];
        const base = await loadBaseImage(node1.name);
        const image = `${prog.ev.spec.harbor.imageRegistry}/harbor-core:${TO}`;
        const core = `#!/bin/sh\necho "stand-in harbor_core $*: database $POSTGRESQL_HOST:$POSTGRESQL_PORT/$POSTGRESQL_DATABASE as $POSTGRESQL_USERNAME, password given: $([ -n "$POSTGRESQL_PASSWORD" ] && echo yes || echo no)"\nexit ${exitCode}\n`;
        await ssh(node1, [
            `D=$(mktemp -d); mkdir -p "$D/harbor"`,
            `printf '%s' ${q("#!/bin/sh\nexit 0\n")} > "$D/harbor/install_cert.sh"`,
            `printf '%s' ${q(core)} > "$D/harbor/harbor_core"`,
            `chmod 755 "$D/harbor/install_cert.sh" "$D/harbor/harbor_core"`,
            `printf 'FROM %s\\nCOPY harbor /harbor\\nENTRYPOINT ["/harbor/harbor_core"]\\n' ${q(base)} > "$D/Dockerfile"`,
            `docker build -q -t ${q(image)} "$D" >/dev/null; rm -rf "$D"`,
        ].join("\n"));
    }

    /** One node's share of a wave, as `pulumi up` runs it: drain, containers replaced, gate. */
    async function changeNode(name: string, downSeconds = 3): Promise<{ drained: number; replaced: number; gated: number }> {
        const n = labNodes().find((x) => x.name === name)!;
        const d = await prog.ok(`${name}-drain`);
        if (!/drained/.test(d.stdout)) throw new Error(`${name}-drain: ${d.stdout}`);
        const drained = Date.now();
        await ssh(n, `touch ${FLAGS_DIR}/stop-all; sleep ${downSeconds}; printf '%s' ${TO} > ${STANDIN_DIR}/version; rm -f ${FLAGS_DIR}/stop-all`);
        const replaced = Date.now();
        const g = await prog.ok(`${name}-gate`);
        if (!/back in rotation/.test(g.stdout)) throw new Error(`${name}-gate: ${g.stdout}`);
        return { drained, replaced, gated: Date.now() };
    }

    before(async () => {
        const lab = labInfo();
        prog = await evaluateForLab({ harbor: { hostname: "harbor.example.com", version: TO, trivy: true } }, undefined, { deployed: true, version: FROM });
        const w = prog.ev.one("pulumi-nodejs:dynamic/harbor-ha:ReadOnlyWindow", "harbor-upgrade-2-read-only").inputs as ReadOnlyWindowProps;
        // One certificate for every node's stand-in, so the program's client can verify the VIP.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hha-upgrade-tls-"));
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${prog.ev.spec.harbor.hostname}`, "-addext", `subjectAltName=DNS:${prog.ev.spec.harbor.hostname}`, "-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`], { stdio: "ignore" });
        cert = { cert: fs.readFileSync(`${dir}/cert.pem`, "utf8"), key: fs.readFileSync(`${dir}/key.pem`, "utf8") };
        fs.rmSync(dir, { recursive: true, force: true });
        windowProps = { ...w, api: { ...w.api, ca: cert.cert } };
        core = await startConfigStandin(w.secret!, false, lab.gateway);
        await installStandins(prog, { sharedConfig: `http://${core.address}`, tls: cert, version: FROM });
        await installBalancers(prog);
        client = new VipClient(lab.vip, prog.ev.spec.loadBalancer.frontendPort, prog.ev.spec.harbor.hostname);
        for (let i = 0; i < 100 && !(await client.request("/standin/node")).ok; i++) await new Promise((r) => setTimeout(r, 200));
    });
    after(async () => {
        provider?.kill();
        if (results.length) console.log(results.map((r) => `      ${r}`).join("\n"));
        if (prog) await removeStandins(prog);
        await ssh(labNodes()[0], `docker rm -f ${MIGRATOR_CONTAINER} >/dev/null 2>&1; docker rmi -f ${q(`${prog.ev.spec.harbor.imageRegistry}/harbor-core:${TO}`)} >/dev/null 2>&1; true`, { check: false });
        if (core) await core.close();
    });

    it("window, one migrator, two waves, lift: no request through the VIP fails, writes get Harbor's read-only answer until the lift, one version at a time behind the VIP", async () => {
        await buildCoreStandin(0);
        const loop = client.loop(50, 300_000);
        assert.strictEqual((await vipWrite()).status, 201, "before the window a write is not refused");

        startProvider();
        const t0 = Date.now();
        const record: WindowRecord = await openWindow(windowProps, { pid: provider!.pid!, pollMs: 200, retryForMs: 60_000 });
        assert.deepStrictEqual([record.skipped, record.before], ["", false]);
        const refused = await vipWrite();
        assert.strictEqual(refused.status, 403);
        assert.match(refused.body, /"code": ?"DENIED".*read only mode/);

        const m = await prog.ok(MIGRATE);
        const migrated = Date.now();
        const db = prog.ev.spec.database;
        assert.ok(m.stdout.includes(`stand-in harbor_core -mode=migrate: database ${db.server.host}:${db.server.port}/${db.target.database} as ${db.target.user}, password given: yes`), m.stdout);
        assert.match(m.stdout, /harbor-ha: schema migrated to v2\.15\.2/);
        assert.strictEqual((await sshOut(labNodes()[0], `docker ps -aq --filter name=${MIGRATOR_CONTAINER}`)).trim(), "", "the one-shot container is removed");

        const waves = upgradeWaves(prog.ev.spec.nodes, prog.ev.spec.rollout.maxUnavailable).map((w) => w.map((n) => n.name));
        assert.deepStrictEqual(waves, [["node1"], ["node2", "node3"]]);
        const wave1 = await changeNode("node1");
        const wave2 = await Promise.all(waves[1].map((n) => changeNode(n)));
        const lifted = await liftWindow(windowProps.api, windowProps.secret!, record);
        assert.strictEqual(lifted, "");
        const liftedAt = Date.now();
        assert.strictEqual((await vipWrite()).status, 201, "after the lift writes are not refused");
        await new Promise((r) => setTimeout(r, 2000));
        const reqs = await loop.stop();

        // The provider ends with the up: its watchdog repeats the lift (harmless), then exits.
        provider!.kill();
        const deadline = Date.now() + 10_000;
        while (core.switches.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.deepStrictEqual(core.switches, [true, false, false]);

        const failed = reqs.filter((r) => !r.ok);
        const during = (a: number, b: number) => reqs.filter((r) => r.ok && r.sentAt >= a && r.doneAt <= b);
        const versions = (l: Req[]) => [...new Set(l.map((r) => r.version))].sort();
        const wave2Drained = Math.max(...wave2.map((w) => w.drained));
        results.push(`${reqs.length} requests through the VIP (one every 50 ms), ${failed.length} failed; read-only for ${((liftedAt - t0) / 1000).toFixed(1)} s (migration ${((migrated - t0) / 1000).toFixed(1)} s, wave 1 ${((wave1.gated - migrated) / 1000).toFixed(1)} s, wave 2 ${((Math.max(...wave2.map((w) => w.gated)) - wave1.gated) / 1000).toFixed(1)} s)`);
        // Both versions answer from node1's undrain (inside its gate) until the second wave is drained.
        const firstNew = Math.min(...reqs.filter((r) => r.ok && r.version === TO).map((r) => r.doneAt));
        const lastOld = Math.max(...reqs.filter((r) => r.ok && r.version === FROM).map((r) => r.doneAt));
        results.push(`both versions answered through the VIP for ${Math.max(0, lastOld - firstNew)} ms (node1 back in rotation -> node2 and node3 drained)`);
        assert.deepStrictEqual(failed.map((r) => r.error), [], "no request through the VIP fails");
        assert.deepStrictEqual(versions(during(t0, wave1.replaced)), [FROM], "until node1 is replaced (and while it is drained): only the old version");
        assert.ok(firstNew >= wave1.replaced, "node1 answers only once replaced");
        assert.ok(lastOld <= wave2Drained + 200, "no old node answers once the second wave is drained");
        assert.deepStrictEqual(versions(during(wave2Drained + 200, liftedAt)), [TO], "during wave 2 and after: only the new version");
        assert.ok(during(wave2Drained + 200, Math.min(...wave2.map((w) => w.replaced))).every((r) => r.node === "node1"), "while the second wave changes, node1 alone serves");
    });

    it("a failing migration stops the change before any node: the program's message, old nodes serve read-only, the watchdog lifts the window when the up ends", async () => {
        await Promise.all(labNodes().map((n) => ssh(n, `printf '%s' ${FROM} > ${STANDIN_DIR}/version`)));
        core.switches.length = 0;
        await buildCoreStandin(3);
        startProvider();
        const record = await openWindow(windowProps, { pid: provider!.pid!, pollMs: 200, retryForMs: 60_000 });
        const r = await prog.run(MIGRATE);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /harbor-ha: the schema migration to v2\.15\.2 failed on node1 \(exit 3; .*No core of v2\.15\.2 has started; the old ones keep serving, read-only until this pulumi up ends/);
        assert.strictEqual((await vipWrite()).status, 403, "still read-only while the up runs");
        const answers = await Promise.all(Array.from({ length: 6 }, () => client.request("/standin/node")));
        assert.deepStrictEqual([...new Set(answers.map((a) => a.version))], [FROM], "the old version still serves");
        provider!.kill();
        const t = Date.now();
        while (core.readOnly && Date.now() - t < 10_000) await new Promise((res) => setTimeout(res, 50));
        results.push(`failed migration: window lifted by the watchdog ${Date.now() - t} ms after the provider ended`);
        assert.strictEqual(core.readOnly, record.before);
        assert.strictEqual((await vipWrite()).status, 201);
    });
});
