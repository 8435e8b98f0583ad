/**
 * L2: daemon configs are checked by the daemon's own checker before they replace anything
 * (components/scripts/shell.ts writeCheckedContentTo, used by haproxyCreate and keepalivedCreate),
 * with real haproxy -c and keepalived -t, and a real haproxy serving from the old config while a
 * rejected one is offered. Not run over SSH on the lab: the script text is the same either way.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { script, writeCheckedContentTo } from "../../components/scripts/shell";
import { freePort } from "../support/services/network";

const run = (sh: string) => spawnSync("sh", ["-c", sh], { encoding: "utf8", timeout: 30_000 });
const get = (port: number) =>
    new Promise<number>((resolve) => http.get({ host: "127.0.0.1", port, path: "/" }, (r) => (r.resume(), resolve(r.statusCode ?? 0))).on("error", () => resolve(0)));

function haproxyCfg(port: number, extra = ""): string {
    return `# harbor-ha test\nglobal\n  log stdout format raw local0\ndefaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 2s\nfrontend f\n  bind 127.0.0.1:${port}\n  http-request return status 200 content-type text/plain string ok\n${extra}`;
}

/** keepalived refuses loopback for VRRP: the machine's outward interface, as real-tools.test.ts. */
const IFACE = spawnSync("sh", ["-c", "ip -o route get 1.1.1.1 2>/dev/null | awk '{print $5}'"], { encoding: "utf8" }).stdout.trim() || "eth0";
const keepalivedCfg = (vrid: number) => `# harbor-ha test\nvrrp_instance VI_TEST {\n  state BACKUP\n  interface ${IFACE}\n  virtual_router_id ${vrid}\n  priority 100\n  virtual_ipaddress {\n    192.0.2.10/32\n  }\n}\n`;

describe("L2 daemon configs are checked before they are installed (real haproxy, keepalived)", function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hha-checked-"));
    const leftovers = () => fs.readdirSync(dir).filter((f) => f.startsWith(".harbor-ha-check"));

    it("haproxy: a rejected config leaves the file and the running haproxy as they were, with haproxy's reason", async () => {
        const port = await freePort();
        const cfg = path.join(dir, "haproxy.cfg");
        const write = (content: string) => run(script("CHANGED=0", writeCheckedContentTo(cfg, content, "0644", "haproxy -c", `haproxy -c -f "$FILE"`), 'echo "CHANGED=$CHANGED"'));
        const good = haproxyCfg(port);
        const first = write(good);
        assert.strictEqual(first.status, 0, first.stderr);
        assert.match(first.stdout, /CHANGED=1/);
        const pid = path.join(dir, "haproxy.pid");
        assert.strictEqual(run(`haproxy -D -f ${cfg} -p ${pid}`).status, 0);
        try {
            assert.strictEqual(await get(port), 200);
            const bad = write(haproxyCfg(port, "frontend g\n  bind 127.0.0.1:99999\n"));
            assert.strictEqual(bad.status, 1);
            assert.match(bad.stderr, new RegExp(`harbor-ha: haproxy -c rejected the new ${cfg}; the file and the running service are unchanged`));
            assert.match(bad.stderr, /invalid port '99999'/, "haproxy's own reason is shown");
            assert.ok(bad.stderr.includes(`[${cfg}:`) && !bad.stderr.includes(".harbor-ha-check"), "the reason names the real path, not the temporary copy");
            assert.strictEqual(fs.readFileSync(cfg, "utf8"), good);
            assert.deepStrictEqual(leftovers(), []);
            assert.strictEqual(await get(port), 200, "haproxy still serves from the old config");
            assert.match(write(good).stdout, /unchanged[\s\S]*CHANGED=0/);
        } finally {
            run(`kill $(cat ${pid})`);
        }
    });

    it("keepalived: a config keepalived -t rejects is never installed, and its reason is shown", () => {
        const cfg = path.join(dir, "keepalived.conf");
        const write = (content: string) => run(script("CHANGED=0", writeCheckedContentTo(cfg, content, "0644", "keepalived -t", `keepalived -t -l -f "$FILE"`)));
        assert.strictEqual(write(keepalivedCfg(51)).status, 0);
        const bad = write(keepalivedCfg(999));
        assert.strictEqual(bad.status, 1);
        assert.match(bad.stderr, /keepalived -t rejected the new .*keepalived\.conf/);
        assert.match(bad.stderr, /VRID '999' not valid/);
        assert.strictEqual(fs.readFileSync(cfg, "utf8"), keepalivedCfg(51));
        assert.deepStrictEqual(leftovers(), []);
    });
});
