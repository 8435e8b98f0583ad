/**
 * L4: one node's Harbor containers on a lab node's real dockerd (Debian docker.io 20.10, the
 * engine of the real run that found these defects), configured the way the program configures
 * them, then the node hard-rebooted.
 *
 * What comes from the program: every container's name, restart policy, log driver and options,
 * capabilities (sent as the provider's client normalises them; see v2.ts), user, host ports, network, aliases and fixed address, from the v2 profile for
 * node1 of the lab stack (tests/lab/program.ts). The Docker provider cannot run here, so the
 * test makes the API calls that terraform-provider-docker 4.2.0 (docker 5.0.0) makes for such a
 * container, read from its resource_docker_container_funcs.go: create in `networkMode` with no
 * endpoint settings, disconnect "bridge", connect each networksAdvanced entry with its aliases
 * and IPv4 address, start. What stands in: the image (the lab's Debian base image running
 * `sleep`, not Harbor's), and no env, files or health checks (nothing here depends on them).
 */
import * as assert from "assert";
import { ContainerSpec } from "../../components/profiles/types";
import { CREATE_ON_NETWORK, placeholderShared, renderNode } from "../../components/harbor-node";
import { q } from "../../components/scripts/shell";
import { loadClusterSpec } from "../../components/config/load";
import { prodSecrets, raw } from "../support/fixtures";
import { describeLab } from "./fixture";
import { killNode, loadBaseImage, sleep, sshOut, ssh, startNode } from "./lab";
import { labStackConfig } from "./program";

const NET = "node1-harbor";

/** docker CLI calls equal to the provider's API calls for one ContainerSpec (see file comment). */
function providerCalls(c: ContainerSpec, image: string, networkMode: string): string {
    const create = [
        "docker create",
        `--name ${q(c.name)}`,
        `--network ${q(networkMode)}`,
        `--restart always`,
        `--log-driver ${q(c.log.driver)}`,
        ...Object.entries(c.log.options).map(([k, v]) => `--log-opt ${q(`${k}=${v}`)}`),
        ...c.capDrop.map((x) => `--cap-drop ${q(x)}`),
        ...c.capAdd.map((x) => `--cap-add ${q(x)}`),
        c.user ? `--user ${q(c.user)}` : "",
        ...c.ports.map((p) => `-p ${q(`${p.ip ?? "0.0.0.0"}:${p.external}:${p.internal}/${p.protocol ?? "tcp"}`)}`),
        q(image), "sleep infinity",
    ].filter(Boolean).join(" ");
    return [
        `${create} >/dev/null`,
        `docker network disconnect bridge ${q(c.name)} 2>/dev/null || true`,
        `docker network connect ${c.aliases.map((a) => `--alias ${q(a)}`).join(" ")} --ip ${q(c.ipv4)} ${NET} ${q(c.name)}`,
        `docker start ${q(c.name)} >/dev/null`,
    ].join(" && ");
}

interface Inspected {
    name: string;
    running: boolean;
    error: string;
    capAdd: string[] | null;
    capDrop: string[] | null;
    aliases: string[];
    ip: string;
}

async function inspect(node: string, names: string[]): Promise<Inspected[]> {
    const out = await sshOut(node, `docker inspect ${names.map(q).join(" ")}`);
    return (JSON.parse(out) as any[]).map((j) => ({
        name: String(j.Name).replace(/^\//, ""),
        running: j.State.Running,
        error: j.State.Error,
        capAdd: j.HostConfig.CapAdd,
        capDrop: j.HostConfig.CapDrop,
        aliases: j.NetworkSettings.Networks[NET]?.Aliases ?? [],
        ip: j.NetworkSettings.Networks[NET]?.IPAMConfig?.IPv4Address ?? "",
    }));
}

describeLab("L4 one node's containers on a real dockerd: aliases and addresses, restart after a node reboot", function () {
    this.timeout(600_000);
    const node = "node1";
    let specs: ContainerSpec[];
    let image: string;

    before(async () => {
        const spec = loadClusterSpec(raw(labStackConfig({ harbor: { hostname: "harbor.lab.test", version: "v2.15.2", trivy: false } }), prodSecrets));
        specs = renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "lab");
        image = await loadBaseImage(node);
        const subnet = spec.nodes[0].containerSubnet;
        await ssh(node, [
            // Another suite's stand-in for Harbor's proxy may still hold the proxy's host ports.
            "systemctl disable -q --now harbor-standin 2>/dev/null || true",
            `docker rm -f ${[...specs.map((c) => c.name), "control-tcp-syslog", "control-on-harbor-net"].map(q).join(" ")} >/dev/null 2>&1 || true`,
            `docker network rm ${NET} >/dev/null 2>&1 || true`,
            `docker network create --driver bridge --subnet ${q(subnet)} ${NET} >/dev/null`,
        ].join("; "));
        for (const c of specs) await ssh(node, providerCalls(c, image, CREATE_ON_NETWORK));
    });

    after(async () => {
        await ssh(node, `docker rm -f $(docker ps -aq) >/dev/null 2>&1; docker network rm ${NET} >/dev/null 2>&1; systemctl stop harbor-ha-test-listener 2>/dev/null; true`, { check: false });
    });

    it("gives every container its Harbor alias and fixed address (created on bridge, then connected)", async () => {
        const got = await inspect(node, specs.map((c) => c.name));
        for (const c of specs) {
            const g = got.find((x) => x.name === c.name)!;
            assert.ok(g.running, `${c.name}: ${g.error}`);
            assert.ok(g.aliases.includes(c.component), `${c.name} aliases ${JSON.stringify(g.aliases)}`);
            assert.strictEqual(g.ip, c.ipv4, c.name);
        }
        // Harbor's own names resolve inside the network (nginx: "host not found in upstream core:8080").
        const core = specs.find((c) => c.component === "core")!;
        const resolved = await sshOut(node, `docker exec ${q(specs.find((c) => c.component === "proxy")!.name)} getent hosts core`);
        assert.match(resolved, new RegExp(`^${core.ipv4.replace(/\./g, "\\.")}\\s`));
    });

    it("control: created in the Harbor network itself (the old networkMode), the connect adds no alias", async () => {
        const c = { ...specs.find((x) => x.component === "core")!, name: "control-on-harbor-net", ipv4: specs[0].ipv4.replace(/\.\d+$/, ".99") };
        await ssh(node, providerCalls(c, image, NET), { check: false });
        const [g] = await inspect(node, [c.name]);
        assert.ok(!g.aliases.includes("core"), `expected no alias, got ${JSON.stringify(g.aliases)}`);
    });

    it("brings every container back by itself after a hard node reboot (no pulumi, no operator)", async () => {
        // Control: Harbor's TCP syslog address, started while something listens there, as the log
        // container does during a normal start. After the reboot nothing listens when dockerd
        // starts it: the old configuration's failure.
        const syslogPort = specs.find((c) => c.component === "log")!.ports[0].external;
        await ssh(node, `systemd-run --unit=harbor-ha-test-listener python3 -c ${q(`import socket,time\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${syslogPort})); s.listen(64)\nwhile True: time.sleep(60)`)} >/dev/null`);
        await sleep(1000);
        const core = specs.find((c) => c.component === "core")!;
        await ssh(node, `docker rm -f control-on-harbor-net >/dev/null 2>&1 || true`);
        await ssh(node, providerCalls({ ...core, name: "control-tcp-syslog", ports: [], ipv4: core.ipv4.replace(/\.\d+$/, ".97"), log: { driver: "syslog", options: { "syslog-address": `tcp://127.0.0.1:${syslogPort}`, tag: "control" } } }, image, CREATE_ON_NETWORK));

        const rebootAt = Date.now();
        await killNode(node);
        await startNode(node);
        const names = specs.map((c) => c.name);
        let got: Inspected[] = [];
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
            got = await inspect(node, names).catch(() => []);
            if (got.length === names.length && got.every((g) => g.running)) break;
            await sleep(1000);
        }
        console.log(`      all ${names.length} containers running ${((Date.now() - rebootAt) / 1000).toFixed(1)} s after the kill`);
        for (const c of specs) {
            const g = got.find((x) => x.name === c.name);
            assert.ok(g?.running, `${c.name} not running after reboot: ${g?.error}`);
            assert.ok(g!.aliases.includes(c.component) && g!.ip === c.ipv4, `${c.name} lost its alias or address`);
        }
        const [control] = await inspect(node, ["control-tcp-syslog"]);
        assert.strictEqual(control.running, false, "the TCP-syslog control should fail to start (else this test cannot see the defect)");
        assert.match(control.error, /failed to initialize logging driver/);
    });
});
