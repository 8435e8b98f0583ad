/**
 * L0: Trivy's scanner settings and the outbound proxy, against Harbor's defaults: harbor.yml.tmpl
 * and prepare's proxy rule (utils/configs.py, g.py INTERNAL_NO_PROXY_DN) at v2.15.2. Which
 * release carries which Trivy key: profile-v2-env-keys.test.ts.
 */
import * as assert from "assert";
import { loadClusterSpec } from "../../components/config/load";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { prodConfig, raw } from "../support/fixtures";


function env(overrides: Record<string, unknown> = {}, component = "trivy-adapter"): Record<string, string> {
    const spec = loadClusterSpec(raw(prodConfig(3, overrides)));
    return renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === component)!.env;
}
const harbor = (extra: Record<string, unknown> = {}) => ({ harbor: { hostname: "harbor.example.com", trivy: true, ...extra } });

describe("L0 v2 profile: Trivy settings and the outbound proxy (from Harbor's templates)", () => {
    it("defaults to harbor.yml's trivy block (v2.15.2)", () => {
        const e = env(harbor());
        assert.deepStrictEqual(
            [e.SCANNER_TRIVY_IGNORE_UNFIXED, e.SCANNER_TRIVY_SKIP_UPDATE, e.SCANNER_TRIVY_SKIP_JAVA_DB_UPDATE, e.SCANNER_TRIVY_OFFLINE_SCAN, e.SCANNER_TRIVY_INSECURE],
            ["false", "false", "false", "false", "false"],
        );
        assert.strictEqual(e.SCANNER_TRIVY_DB_REPOSITORY, "ghcr.io/aquasecurity/trivy-db");
        assert.strictEqual(e.SCANNER_TRIVY_JAVA_DB_REPOSITORY, "ghcr.io/aquasecurity/trivy-java-db");
        assert.strictEqual(e.SCANNER_TRIVY_SECURITY_CHECKS, "vuln");
        assert.strictEqual(e.SCANNER_TRIVY_TIMEOUT, "5m0s");
    });

    it("an air-gapped site: no DB download, offline scans, a mirrored DB repository", () => {
        const e = env({ ...harbor(), trivy: { skipUpdate: true, skipJavaDbUpdate: true, offlineScan: true, dbRepository: "mirror.example.com/trivy-db" } });
        assert.deepStrictEqual([e.SCANNER_TRIVY_SKIP_UPDATE, e.SCANNER_TRIVY_SKIP_JAVA_DB_UPDATE, e.SCANNER_TRIVY_OFFLINE_SCAN], ["true", "true", "true"]);
        assert.strictEqual(e.SCANNER_TRIVY_DB_REPOSITORY, "mirror.example.com/trivy-db");
    });

    it("no proxy configured: the keys are there and empty, NO_PROXY is Harbor's internal list", () => {
        for (const c of ["core", "jobservice", "trivy-adapter"]) {
            const e = env(harbor(), c);
            assert.strictEqual(e.HTTP_PROXY, "", c);
            assert.strictEqual(e.HTTPS_PROXY, "", c);
            const internal = ["127.0.0.1", "localhost", ".local", ".internal", "log", "db", "redis", "nginx", "core", "portal", "postgresql", "jobservice", "registry", "registryctl", "trivy-adapter", "exporter"];
            assert.deepStrictEqual(e.NO_PROXY.split(",").sort(), internal.sort(), c);
        }
    });

    it("a proxy for core only: core gets it with the user's no_proxy added once; jobservice and trivy get the keys empty", () => {
        const cfg = { ...harbor(), proxy: { httpProxy: "http://proxy.example.com:3128", httpsProxy: "http://proxy.example.com:3128", noProxy: "10.0.0.0/8,.corp.example.com,core", components: ["core"] } };
        const core = env(cfg, "core");
        assert.strictEqual(core.HTTP_PROXY, "http://proxy.example.com:3128");
        assert.strictEqual(core.HTTPS_PROXY, "http://proxy.example.com:3128");
        const np = core.NO_PROXY.split(",");
        for (const x of ["10.0.0.0/8", ".corp.example.com", "registry", "127.0.0.1"]) assert.ok(np.includes(x), x);
        assert.strictEqual(np.filter((x) => x === "core").length, 1);
        for (const c of ["jobservice", "trivy-adapter"]) assert.deepStrictEqual([env(cfg, c).HTTP_PROXY, env(cfg, c).NO_PROXY], ["", ""], c);
    });

    for (const [what, cfg, key] of [
        ["a proxy that is not a URL", { proxy: { httpProxy: "proxy:3128" } }, "harbor-ha:proxy.httpProxy"],
        ["a Trivy timeout that is not a Go duration", { trivy: { timeout: "5 minutes" } }, "harbor-ha:trivy.timeout"],
        ["an unknown proxy component", { proxy: { components: ["portal"] } }, "harbor-ha:proxy.components[0]"],
    ] as const) {
        it(`refuses ${what}, naming ${key}`, () => {
            assert.throws(() => loadClusterSpec(raw(prodConfig(3, cfg as Record<string, unknown>))), (e: Error) => e.message.includes(key));
        });
    }
});
