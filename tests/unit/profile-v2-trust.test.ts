/**
 * L0: the trust bundle for private CAs. Harbor's compose mounts its trust-certificates directory
 * at /harbor_cust_cert into registry, registryctl, core, jobservice, proxy and trivy-adapter
 * (make/photon/prepare/templates/docker_compose/docker-compose.yml.jinja, v2.1.0 ... v2.15.2), and
 * their entrypoints append every *.crt there to the image's CA bundle
 * (make/photon/common/install_cert.sh). Not run against a privately signed PostgreSQL here: see
 * the closing note of issue 9.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadClusterSpec } from "../../components/config/load";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { TRUST_BUNDLE_PATH } from "../../components/profiles/v2/context";
import { prodConfig, prodSecrets, raw } from "../support/fixtures";

const CAS = fs.readFileSync(path.join(__dirname, "../fixtures/pki/test-cas.pem"), "utf8").split("\n").filter((l) => !l.startsWith("#")).join("\n");

function render(values: Record<string, unknown>, secrets = prodSecrets) {
    const spec = loadClusterSpec(raw(prodConfig(3, values), secrets));
    return renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod");
}

describe("L0 v2 profile: trusted CA certificates (/harbor_cust_cert)", () => {
    it("puts the bundle, unchanged and not secret, into exactly the six components Harbor mounts it into", () => {
        const containers = render({ trustedCaCertificates: CAS });
        const holding = containers.filter((c) => c.files.some((f) => f.path === TRUST_BUNDLE_PATH));
        assert.deepStrictEqual(holding.map((c) => c.component).sort(), ["core", "jobservice", "proxy", "registry", "registryctl", "trivy-adapter"]);
        for (const c of holding) {
            const f = c.files.find((x) => x.path === TRUST_BUNDLE_PATH)!;
            assert.strictEqual(f.content, CAS);
            assert.strictEqual(f.secret, false);
            // install_cert.sh appends only *.crt, *.pem, *.ca and *.ca-bundle files.
            assert.match(f.path, /^\/harbor_cust_cert\/[^/]+\.crt$/);
        }
    });

    it("renders no bundle when none is configured", () => {
        assert.ok(render({}).every((c) => c.files.every((f) => !f.path.startsWith("/harbor_cust_cert/"))));
    });

    it("refuses a private key in the bundle without echoing it", () => {
        const key = "-----BEGIN PRIVATE KEY-----\nMIIsecretkeymaterial\n-----END PRIVATE KEY-----\n";
        assert.throws(
            () => render({ trustedCaCertificates: CAS + key }),
            (e: Error) => /trustedCaCertificates: holds a private key/.test(e.message) && !e.message.includes("secretkeymaterial"),
        );
    });

    it("refuses a block that does not parse as X.509", () => {
        const broken = CAS.replace(/(-----BEGIN CERTIFICATE-----\n)MII/, "$1XXX");
        assert.throws(() => render({ trustedCaCertificates: broken }), /trustedCaCertificates: certificate 1 of 2 does not parse as X\.509/);
    });
});
