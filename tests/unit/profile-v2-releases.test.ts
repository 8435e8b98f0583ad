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
import { SUPPORTED_RELEASES } from "../../components/profiles/v2/releases";
import { prodConfig, raw } from "../support/fixtures";

const FIXTURE = path.join(__dirname, "../fixtures/harbor-templates/core-env-registry-types.tsv");
const rows = fs.readFileSync(FIXTURE, "utf8").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("\t"));

describe("L0 v2 profile: core's registry-type allow-lists per Harbor release (from Harbor's templates)", () => {
    it(`matches Harbor's core env template at each of the ${rows.length} supported v2 tags`, () => {
        assert.deepStrictEqual(rows.map(([tag]) => tag), [...SUPPORTED_RELEASES], "the fixture covers exactly the supported releases");
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

    it("logs jobs as each release's template does by default: DB from v2.9.0, STD_OUTPUT and FILE before", () => {
        const loggers = (version: string) => loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "harbor.example.com", version } }))).harbor.jobLoggers;
        assert.deepStrictEqual(loggers("v2.9.0"), ["DB"]);
        assert.deepStrictEqual(loggers("v2.8.6"), ["STD_OUTPUT", "FILE"]);
    });

    it("gives jobservice Harbor's job duration: MAX_JOB_DURATION_SECONDS only in v2.13.x, reaper.max_update_hours always", () => {
        const jobservice = (version: string, hours?: number) => {
            const spec = loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "harbor.example.com", version, ...(hours ? { maxJobDurationHours: hours } : {}) } })));
            return renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === "jobservice")!;
        };
        assert.strictEqual(jobservice("v2.13.2", 48).env.MAX_JOB_DURATION_SECONDS, String(48 * 3600));
        assert.ok(!("MAX_JOB_DURATION_SECONDS" in jobservice("v2.14.0", 48).env));
        assert.match(jobservice("v2.15.2", 48).files[0].content, /max_update_hours: 48/);
        assert.match(jobservice("v2.12.0").files[0].content, /max_update_hours: 24/);
    });
});
