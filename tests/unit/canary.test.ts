/**
 * L0: the canary's generated image (a valid Docker schema 2 image whose digests are what they
 * claim) and how failures are named (components/verify/canary.ts classify).
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as zlib from "zlib";
import { classify } from "../../components/verify/canary";
import { MANIFEST_TYPE, registryError, tinyImage } from "../../components/verify/registry-client";

const digest = (b: Buffer) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

describe("L0 canary: image builder and failure classification", () => {
    it("builds a Docker schema 2 image whose manifest, config and layer digests and sizes match their bytes", () => {
        const img = tinyImage("marker-1");
        const m = JSON.parse(img.manifest.toString());
        assert.strictEqual(m.schemaVersion, 2);
        assert.strictEqual(m.mediaType, MANIFEST_TYPE);
        assert.strictEqual(m.config.digest, digest(img.config));
        assert.strictEqual(m.config.size, img.config.length);
        assert.strictEqual(m.layers.length, 1);
        assert.strictEqual(m.layers[0].digest, digest(img.layer));
        assert.strictEqual(m.layers[0].size, img.layer.length);
        assert.strictEqual(img.digest, digest(img.manifest));
        // The layer is a gzip'd tar holding the marker; the config's diff_id is the tar's digest.
        const tar = zlib.gunzipSync(img.layer);
        assert.strictEqual(tar.length % 512, 0);
        assert.strictEqual(tar.subarray(0, 100).toString().replace(/\0+$/, ""), "harbor-ha-canary.txt");
        assert.strictEqual(tar.subarray(257, 262).toString(), "ustar");
        assert.ok(tar.includes(Buffer.from("marker-1\n")));
        assert.deepStrictEqual(JSON.parse(img.config.toString()).rootfs.diff_ids, [digest(tar)]);
    });

    it("is deterministic per marker and differs between markers", () => {
        assert.strictEqual(tinyImage("a").digest, tinyImage("a").digest);
        assert.notStrictEqual(tinyImage("a").digest, tinyImage("b").digest);
    });

    const ctx = { pushedTo: "node1", node: "node2" };
    const cases: [string, string, ReturnType<typeof registryError>, RegExp][] = [
        ["a refused login", "login", registryError("login (token request)", "10.0.0.12:8443", 401, "UNAUTHORIZED", ""), /refuses the stack's canary robot account: the robot is not in the database this node uses, or the node's secrets differ/],
        ["node1's token refused by node2", "pull with the token from node1", registryError("manifest pull", "10.0.0.12:8443", 401, "UNAUTHORIZED", ""), /^token key mismatch: node2 does not accept a token signed by node1/],
        ["an unknown blob", "pull with the token from node1", registryError("blob pull", "10.0.0.12:8443", 404, "BLOB_UNKNOWN", ""), /^storage not shared: node2's registry does not see the image written through node1/],
        ["an unknown manifest", "pull with the token from node1", registryError("manifest pull", "10.0.0.12:8443", 404, "MANIFEST_UNKNOWN", ""), /^storage not shared/],
        ["no answer", "login", registryError("registry probe (GET /v2/)", "10.0.0.12:8443", 0, "ECONNREFUSED", ""), /node2 does not answer at 10\.0\.0\.12:8443 \(ECONNREFUSED\)/],
        ["a server error", "pull with the token from node1", registryError("manifest pull", "10.0.0.12:8443", 502, "", "bad gateway"), /node2 answered HTTP 502: check its registry and core containers/],
    ];
    for (const [what, step, err, expected] of cases) {
        it(`names ${what}`, () => assert.match(classify(step, err, ctx), expected));
    }
});
