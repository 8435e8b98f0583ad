/**
 * L2: the end-to-end suite's registry client (tests/support/registry.ts) against the real
 * distribution registry from Debian (docker-registry 2.8, what Harbor's registry-photon is):
 * a generated one-layer image is pushed and pulled back byte-exact. Without auth (the
 * registry ignores the bearer header); the token flow itself is exercised by the e2e suite.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { freePort } from "../support/services/network";
import { Endpoint, pull, push, request, tinyImage } from "../../components/verify/registry-client";
import { tool } from "../support/tools";


describe("L2 e2e registry client against the real distribution registry", function () {
    this.timeout(60000);
    let reg: ChildProcess;
    let ep: Endpoint;

    before(async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-regclient-"));
        const port = await freePort();
        fs.writeFileSync(path.join(dir, "config.yml"), YAML.stringify({ version: 0.1, storage: { filesystem: { rootdirectory: path.join(dir, "storage") } }, http: { addr: `127.0.0.1:${port}` } }));
        reg = spawn(tool("docker-registry", "tools"), ["serve", path.join(dir, "config.yml")], { stdio: "ignore" });
        ep = { address: `127.0.0.1:${port}`, hostname: "127.0.0.1" };
        for (let i = 0; i < 100; i++) {
            const ok = await request(ep, "GET", "/v2/").then((r) => r.status === 200, () => false);
            if (ok) return;
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("registry did not come up");
    });
    after(() => reg?.kill());

    it("pushes a generated one-layer image and pulls the same manifest digest and layer back", async () => {
        const img = tinyImage(`marker-${Date.now()}`);
        const pushed = await push(ep, "unused", "e2e/canary", "t1", img);
        assert.strictEqual(pushed, img.digest);
        const got = await pull(ep, "unused", "e2e/canary", "t1");
        assert.strictEqual(got.digest, img.digest);
        const other = tinyImage("another marker");
        assert.notStrictEqual(other.digest, img.digest, "images with different content differ");
    });
});
