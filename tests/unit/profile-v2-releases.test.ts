/**
 * L0: core's per-release registry-type allow-lists against Harbor's own templates. The fixture
 * holds PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE and REPLICATION_ADAPTER_WHITELIST as
 * goharbor/harbor make/photon/prepare/templates/core/env.jinja has them at every v2 tag.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadClusterSpec } from "../../components/config/load";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { prodConfig, raw } from "../support/fixtures";

const FIXTURE = path.join(__dirname, "../fixtures/harbor-templates/core-env-registry-types.tsv");
const rows = fs.readFileSync(FIXTURE, "utf8").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("\t"));

describe("L0 v2 profile: core's registry-type allow-lists per Harbor release (from Harbor's templates)", () => {
    it(`matches Harbor's core env template at each of the ${rows.length} v2 tags`, () => {
        assert.ok(rows.length > 80, "fixture covers the v2 tags");
        const mismatches: string[] = [];
        for (const [tag, proxyCache, adapters] of rows) {
            const spec = loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "harbor.example.com", version: tag } })));
            const core = renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === "core")!;
            const got = [core.env.PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE ?? "-", core.env.REPLICATION_ADAPTER_WHITELIST ?? "-"];
            if (got[0] !== proxyCache || got[1] !== adapters) mismatches.push(`${tag}: ${got.join(" | ")} != ${proxyCache} | ${adapters}`);
        }
        assert.deepStrictEqual(mismatches, []);
    });

    it("renders the proxy with HTTP/1.1 to its upstreams (chunked pushes stream instead of spooling)", () => {
        const spec = loadClusterSpec(raw(prodConfig(3)));
        const proxy = renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === "proxy")!;
        assert.match(proxy.files.find((f) => f.path === "/etc/nginx/nginx.conf")!.content, /^\s*proxy_http_version 1\.1;$/m);
    });
});
