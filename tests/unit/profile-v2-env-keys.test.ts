/**
 * L0: for every supported release, each component's env key set against that tag's own template
 * (goharbor/harbor make/photon/prepare/templates/<component>/env.jinja; fixture
 * tests/fixtures/harbor-templates/env-keys.tsv lists, per tag and component, the keys Harbor
 * always renders and those it renders only under a condition). Rendered here with every optional
 * setting the program offers switched on (Trivy, proxies, the extra Redis URLs).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadClusterSpec } from "../../components/config/load";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { ENV_KEY_RELEASES, SUPPORTED_RELEASES } from "../../components/profiles/v2/releases";
import { prodConfig, raw } from "../support/fixtures";

const FIXTURE = path.join(__dirname, "../fixtures/harbor-templates/env-keys.tsv");
const rows = fs
    .readFileSync(FIXTURE, "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
        const [tag, component, always, conditional] = l.split("\t");
        return { tag, component, always: always.split(","), conditional: conditional === "-" ? [] : conditional.split(",") };
    });

/** Conditional keys this program renders, and the switch that turns them on in Harbor's template. */
const CONDITIONAL_RENDERED: Record<string, string[]> = {
    core: ["PORT", "_REDIS_URL_HARBOR", "_REDIS_URL_CACHE_LAYER"], // PORT: internal_tls off; the URLs: redis.dbIndex.harbor / cacheLayer
    "trivy-adapter": ["SCANNER_API_SERVER_ADDR"], // internal_tls off
};

function render(tag: string, overrides: Record<string, unknown> = {}) {
    const spec = loadClusterSpec(
        raw(
            prodConfig(3, {
                harbor: { hostname: "harbor.example.com", version: tag, trivy: true },
                proxy: { httpProxy: "http://proxy.example.com:3128", httpsProxy: "http://proxy.example.com:3128" },
                ...overrides,
            }),
        ),
    );
    return renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod");
}

describe("L0 v2 profile: env key set per component and release (from Harbor's templates)", () => {
    it("supports exactly the releases the fixture holds templates for", () => {
        assert.deepStrictEqual([...new Set(rows.map((r) => r.tag))], [...SUPPORTED_RELEASES]);
        assert.strictEqual(SUPPORTED_RELEASES.length, 78);
    });

    it(`renders, at each of the ${SUPPORTED_RELEASES.length} releases, every key Harbor always renders and no key its template lacks`, () => {
        const problems: string[] = [];
        for (const tag of SUPPORTED_RELEASES) {
            const redis = { dbIndex: { harbor: 6, cacheLayer: 7 } };
            const containers = render(tag, { redis: { ...prodRedis(), ...redis } });
            for (const row of rows.filter((r) => r.tag === tag)) {
                const c = containers.find((x) => x.component === row.component);
                if (!c) { problems.push(`${tag} ${row.component}: not rendered`); continue; }
                const got = new Set(Object.keys(c.env));
                const known = new Set([...row.always, ...row.conditional]);
                const missing = row.always.filter((k) => !got.has(k));
                const foreign = [...got].filter((k) => !known.has(k));
                const conditional = [...got].filter((k) => row.conditional.includes(k) && !(CONDITIONAL_RENDERED[row.component] ?? []).includes(k));
                if (missing.length) problems.push(`${tag} ${row.component}: missing ${missing.join(",")}`);
                if (foreign.length) problems.push(`${tag} ${row.component}: not in that release's template ${foreign.join(",")}`);
                if (conditional.length) problems.push(`${tag} ${row.component}: conditional in Harbor, unexplained here ${conditional.join(",")}`);
            }
        }
        assert.deepStrictEqual(problems, []);
    });

    it("renders _REDIS_URL_HARBOR exactly in the releases whose template has it (v2.7.3-v2.7.4 and v2.8.4+)", () => {
        const withIt = SUPPORTED_RELEASES.filter((tag) => "_REDIS_URL_HARBOR" in render(tag, { redis: { ...prodRedis(), dbIndex: { harbor: 6 } } }).find((c) => c.component === "core")!.env);
        const inTemplate = rows.filter((r) => r.component === "core" && r.conditional.includes("_REDIS_URL_HARBOR")).map((r) => r.tag);
        assert.deepStrictEqual(withIt, inTemplate);
        assert.ok(withIt.includes("v2.7.3") && !withIt.includes("v2.8.0") && withIt.includes("v2.8.4"));
    });

    it("every release-dependent key in the table is named in some release's template for that component", () => {
        for (const [component, keys] of Object.entries(ENV_KEY_RELEASES)) {
            for (const key of Object.keys(keys!)) {
                assert.ok(rows.some((r) => r.component === component && (r.always.includes(key) || r.conditional.includes(key))), `${component} ${key}`);
            }
        }
    });

    it("keeps the env values of the releases that still carried retired components off (Clair, ChartMuseum, Notary)", () => {
        const core = render("v2.1.6").find((c) => c.component === "core")!.env;
        assert.deepStrictEqual([core.WITH_CLAIR, core.WITH_CHARTMUSEUM, core.WITH_NOTARY, core.CHART_CACHE_DRIVER, core.SYNC_QUOTA], ["false", "false", "false", "redis", "true"]);
        const latest = render("v2.15.2").find((c) => c.component === "core")!.env;
        assert.ok(!("SYNC_QUOTA" in latest) && !("WITH_NOTARY" in latest));
    });
});

function prodRedis(): Record<string, unknown> {
    return (prodConfig(3) as Record<string, Record<string, unknown>>).redis;
}
