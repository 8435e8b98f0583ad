/**
 * L0: mistaken and hostile stack configs, each refused before any resource exists. Every case
 * asserts the key the message names, the fix it gives, and that no secret value (nor the value
 * typed into a field that might have been meant for a secret) appears anywhere in the error.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultPriority as defaultOf } from "../../components/config/defaults";
import { loadClusterSpec } from "../../components/config/load";
import { prodConfig, prodNodes, prodSecrets, raw, SECRET_VALUES } from "../support/fixtures";

const base = prodConfig(3);
const fixture = (f: string) => fs.readFileSync(path.join(__dirname, "../fixtures/pki", f), "utf8").split("\n").filter((l) => !l.startsWith("#")).join("\n");
const TEST_CA = fixture("test-cas.pem").match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0] + "\n";
const EXPIRED = fixture("expired-harbor.example.com.crt");
const OTHER_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIJDUIYpHg07DbJa1u3xVgig4n67jkGN8ewXM1FjhyG0";
const ECDSA = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPNDvt9XiIuVJ5PwXC3Gd7EiVMh47h0ME2yAvreRIZVZUAyuD98QGwOBqDRlpvgbuHfaMUlnY+Dyqx/dqkjG2Qs=";
/** Values a user might paste into the wrong field; they must never be echoed. */
const PASTED = ["S3cr3t-Pasted-1", "hunter2hunter2", "p@ssw0rd-value", "Tr0ub4dor&3", "correct-horse-battery"];

const nodes = (over: Record<string, unknown>[], n = 3) => prodNodes(n).map((x, i) => ({ ...x, ...(over[i] ?? {}) }));
const storage = (over: Record<string, unknown>) => ({ ...(base.storage as object), ...over });
const cephfs = (over: Record<string, unknown>) => storage({ cephfs: { monitors: ["10.20.0.5:6789"], ...over } });
const db = (over: Record<string, unknown>) => ({ ...(base.database as object), ...over });
const lb = (over: Record<string, unknown>) => ({ ...(base.loadBalancer as object), ...over });
const harbor = (over: Record<string, unknown>) => ({ ...(base.harbor as object), ...over });
const noProvision = { provision: { enabled: false } };
const secrets = (over: Record<string, string | undefined>) => Object.fromEntries(Object.entries({ ...prodSecrets, ...over }).filter(([, v]) => v !== undefined)) as Record<string, string>;
const provided = (cert: string, key = OTHER_KEY) => ({ values: { tls: { mode: "provided" } }, secrets: secrets({ tlsPrivateKey: key }), extra: { tlsCertificate: cert } });

interface Case {
    name: string;
    values: Record<string, unknown>;
    secrets?: Record<string, string>;
    /** Plain (non-secret) config keys added as given. */
    extra?: Record<string, string>;
    key: string;
    fix: RegExp;
}

const cases: Case[] = [
    // Paths the program would mount over or chown.
    { name: "mountPoint /", values: { storage: storage({ mountPoint: "/" }) }, key: "storage.mountPoint", fix: /system directory.*\/mnt\/harbor/ },
    { name: "mountPoint /etc", values: { storage: storage({ mountPoint: "/etc" }) }, key: "storage.mountPoint", fix: /inside \/etc.*use e\.g\. \/mnt\/harbor/ },
    { name: "mountPoint /mnt/../etc", values: { storage: storage({ mountPoint: "/mnt/../etc" }) }, key: "storage.mountPoint", fix: /normal form \(\/etc\)/ },
    { name: "mountPoint /var/lib/docker", values: { storage: storage({ mountPoint: "/var/lib/docker" }) }, key: "storage.mountPoint", fix: /inside \/var\/lib\/docker/ },
    { name: "mountPoint under /var/lib/docker", values: { storage: storage({ mountPoint: "/var/lib/docker/volumes/harbor" }) }, key: "storage.mountPoint", fix: /Docker/ },
    { name: "mountPoint under /usr", values: { storage: storage({ mountPoint: "/usr/local/harbor" }) }, key: "storage.mountPoint", fix: /inside \/usr/ },
    { name: "mountPoint under /proc", values: { storage: storage({ mountPoint: "/proc/harbor" }) }, key: "storage.mountPoint", fix: /inside \/proc/ },
    { name: "mountPoint with a trailing slash", values: { storage: storage({ mountPoint: "/mnt/harbor/" }) }, key: "storage.mountPoint", fix: /normal form \(\/mnt\/harbor\)/ },
    { name: "localRoot /", values: { storage: storage({ localRoot: "/" }) }, key: "storage.localRoot", fix: /system directory/ },
    { name: "localRoot /var/lib", values: { storage: storage({ localRoot: "/var/lib" }) }, key: "storage.localRoot", fix: /\/var\/lib\/harbor/ },
    { name: "localRoot inside mountPoint", values: { storage: storage({ mountPoint: "/mnt/harbor", localRoot: "/mnt/harbor/local" }) }, key: "storage.localRoot", fix: /must not be on the shared filesystem/ },
    { name: "mountPoint inside localRoot", values: { storage: storage({ mountPoint: "/srv/harbor/shared", localRoot: "/srv/harbor" }) }, key: "storage.mountPoint", fix: /separate directories/ },
    { name: "cephfs.path not normalised", values: { storage: cephfs({ path: "/harbor/../other" }) }, key: "storage.cephfs.path", fix: /normal form \(\/other\)/ },

    // Networks.
    { name: "container subnet = the node LAN", values: { containers: { subnet: "10.20.0.0/24" } }, key: "containers.subnet", fix: /overlaps the node network.*172\.30\.0\.0\/24/ },
    { name: "container subnet holds the database", values: { containers: { subnet: "172.30.0.0/24" }, database: db({ host: "172.30.0.5" }) }, key: "containers.subnet", fix: /contains database\.host/ },
    { name: "container subnet holds a sentinel", values: { containers: { subnet: "172.30.0.0/24" }, redis: { mode: "sentinel", sentinels: ["172.30.0.7:26379"], masterSet: "harbor" } }, key: "containers.subnet", fix: /contains redis\.sentinels\[0\]/ },
    { name: "container subnet holds a Ceph monitor", values: { containers: { subnet: "172.30.0.0/24" }, storage: cephfs({ monitors: ["172.30.0.9:6789"] }) }, key: "containers.subnet", fix: /contains storage\.cephfs\.monitors\[0\]/ },
    { name: "container subnet overlaps Docker's bridge", values: { containers: { subnet: "172.17.5.0/24" } }, key: "containers.subnet", fix: /Docker's default bridge/ },
    { name: "container subnet too small", values: { containers: { subnet: "172.30.0.0/28" } }, key: "containers.subnet", fix: /too small.*\/27/ },
    { name: "a node's container subnet overlaps Docker's bridge", values: { nodes: nodes([{ containerSubnet: "172.16.0.0/12" }]) }, key: "nodes[0].containerSubnet", fix: /Docker's default bridge/ },
    { name: "VIP = network address", values: { loadBalancer: lb({ vip: "10.20.0.0" }) }, key: "loadBalancer.vip", fix: /network address.*free host address/ },
    { name: "VIP = broadcast address", values: { loadBalancer: lb({ vip: "10.20.0.255" }) }, key: "loadBalancer.vip", fix: /broadcast address/ },
    { name: "VIP = the database", values: { loadBalancer: lb({ vip: "10.20.0.6" }) }, key: "loadBalancer.vip", fix: /equals database\.host/ },
    { name: "VIP = a node", values: { loadBalancer: lb({ vip: "10.20.0.11" }) }, key: "nodes[0].address", fix: /equals the VIP/ },
    { name: "VIP outside the subnet", values: { loadBalancer: lb({ vip: "10.99.0.100" }) }, key: "loadBalancer.vip", fix: /outside/ },

    // Ports.
    { name: "harbor.port = the proxy's https port", values: { harbor: harbor({ port: 8443 }) }, key: "nodes[0].httpsPort", fix: /already used by harbor\.port.*change one of them/ },
    { name: "frontendPort = the health port", values: { loadBalancer: lb({ frontendPort: 8404 }) }, key: "nodes[0].healthPort", fix: /already used by loadBalancer\.frontendPort/ },
    { name: "redirect port = the proxy's http port", values: { nodes: nodes([{ httpPort: 80 }]) }, key: "nodes[0].httpPort", fix: /httpRedirect: false/ },
    { name: "sentinel port 0", values: { redis: { mode: "sentinel", sentinels: ["10.20.0.7:0"], masterSet: "harbor" } }, key: "redis.sentinels[0]", fix: /port from 1 to 65535/ },
    { name: "sentinel port 99999", values: { redis: { mode: "sentinel", sentinels: ["10.20.0.7:99999"], masterSet: "harbor" } }, key: "redis.sentinels[0]", fix: /port from 1 to 65535/ },
    { name: "monitor port 70000", values: { storage: cephfs({ monitors: ["10.20.0.5:70000"] }) }, key: "storage.cephfs.monitors[0]", fix: /port from 1 to 65535/ },
    { name: "two instances on one host share a syslog port", values: { nodes: [{ name: "a", address: "127.0.0.1", transport: "local" }, { name: "b", address: "127.0.0.1", transport: "local", httpPort: 8081, httpsPort: 8444, healthPort: 8405, containerSubnet: "172.31.0.0/24" }], loadBalancer: { mode: "haproxy" }, storage: { type: "local" } }, secrets: secrets({ cephKey: undefined }), key: "nodes[1].syslogPort", fix: /already used by nodes\[0\]\.syslogPort/ },

    // Database.
    { name: "Harbor's user = the admin", values: { database: db({ user: "postgres" }) }, key: "database.user", fix: /separate user, e\.g\. harbor/ },
    { name: "Harbor's database = the admin database", values: { database: db({ name: "postgres" }) }, key: "database.name", fix: /database of its own, e\.g\. registry/ },
    { name: "a template database", values: { database: db({ name: "template1" }) }, key: "database.name", fix: /system database/ },
    { name: "database name with a space", values: { database: db({ name: "my registry" }) }, key: "database.name", fix: /a-z, 0-9 and _/ },
    { name: "user with a quote", values: { database: db({ user: "harb'or" }) }, key: "database.user", fix: /a-z, 0-9 and _/ },
    { name: "database name in upper case", values: { database: db({ name: "Registry" }) }, key: "database.name", fix: /lower-case/ },
    { name: "database name with a dash", values: { database: db({ name: "harbor-db" }) }, key: "database.name", fix: /a-z, 0-9 and _/ },
    { name: "a password Harbor cannot quote (space)", values: { database: db(noProvision) }, secrets: secrets({ databaseAdminPassword: undefined, databasePassword: "two words" }), key: "databasePassword", fix: /without them/ },
    { name: "a password Harbor cannot quote (backslash)", values: { database: db(noProvision) }, secrets: secrets({ databaseAdminPassword: undefined, databasePassword: "back\\slash" }), key: "databasePassword", fix: /space, quote or backslash/ },
    { name: "a DB password that provisioning would ignore", values: {}, secrets: secrets({ databasePassword: "Ignored-Pw-1" }), key: "databasePassword", fix: /pulumi config rm databasePassword/ },
    { name: "an admin password without provisioning", values: { database: db(noProvision) }, secrets: secrets({ databasePassword: "Fine-Pw-1" }), key: "databaseAdminPassword", fix: /pulumi config rm databaseAdminPassword/ },
    { name: "mysql for Harbor 2.x", values: { database: db({ engine: "mysql" }) }, key: "database.engine", fix: /PostgreSQL only \(since v1\.6\.0\); set database\.engine: postgresql/ },
    { name: "an import without provisioning", values: { database: db({ ...noProvision, import: { path: "/srv/dump.sql" } }) }, secrets: secrets({ databaseAdminPassword: undefined, databasePassword: "Fine-Pw-1" }), key: "database.import", fix: /provision\.enabled: true/ },

    // TLS.
    { name: "renewal window = validity", values: { tls: { validityDays: 30, earlyRenewalDays: 30 } }, key: "tls.earlyRenewalDays", fix: /every up would replace every certificate/ },
    { name: "renewal window > validity", values: { tls: { validityDays: 90, earlyRenewalDays: 100 } }, key: "tls.earlyRenewalDays", fix: /not less than tls\.validityDays/ },
    { name: "a certificate that is only a BEGIN line", ...provided("-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n"), key: "tlsCertificate", fix: /does not parse as X\.509/ },
    { name: "a certificate for another name", ...provided(TEST_CA), key: "tlsCertificate", fix: /does not cover harbor\.hostname harbor\.example\.com/ },
    { name: "an expired certificate", ...provided(EXPIRED), key: "tlsCertificate", fix: /expired on .*2020.*renew it/ },
    { name: "a key that is not the certificate's", ...provided(EXPIRED), key: "tlsPrivateKey", fix: /does not belong to tlsCertificate/ },
    { name: "a key that is not PEM", ...provided(EXPIRED, "Not-A-Key-Secret-9"), key: "tlsPrivateKey", fix: /not a PEM private key/ },
    { name: "a provided key in generated mode", values: {}, secrets: secrets({ tlsPrivateKey: OTHER_KEY }), key: "tlsPrivateKey", fix: /ignored with tls\.mode generated/ },
    { name: "a provided certificate in generated mode", values: {}, extra: { tlsCertificate: TEST_CA }, key: "tlsCertificate", fix: /tls\.mode: provided/ },
    { name: "a CA certificate that is not PEM", values: {}, extra: { tlsCaCertificate: "garbage" }, key: "tlsCaCertificate", fix: /no PEM certificate/ },
    { name: "provided TLS with plain HTTP", values: { harbor: harbor({ protocol: "http" }), tls: { mode: "provided" } }, key: "tls.mode", fix: /no effect with harbor\.protocol http/ },
    { name: "a private key among the trusted CAs", values: {}, extra: { trustedCaCertificates: TEST_CA + OTHER_KEY }, key: "trustedCaCertificates", fix: /holds a private key/ },

    // SSH.
    { name: "strict host key checking without pinned keys", values: { ssh: { privateKeyPath: "/dev/null", strictHostKeyChecking: "yes" }, nodes: prodNodes(3).map(({ name, address }) => ({ name, address })) }, key: "nodes[0].hostKey", fix: /scripts\/host-keys\.sh/ },
    { name: "a host key that is not base64", values: { nodes: nodes([{ hostKey: "ssh-ed25519 not*base64" }]) }, key: "nodes[0].hostKey", fix: /ssh-keyscan/ },
    { name: "a host key whose data is another type", values: { nodes: nodes([{ hostKey: "ssh-rsa " + ED25519.split(" ")[1] }]) }, key: "nodes[0].hostKey", fix: /not a ssh-rsa key/ },
    { name: "a host key without its type", values: { nodes: nodes([{ hostKey: ED25519.split(" ")[1] }]) }, key: "nodes[0].hostKey", fix: /must start with a key type/ },
    { name: "ssh nodes without a key", values: { ssh: {} }, key: "ssh.privateKeyPath", fix: /ssh\.agent: true/ },

    // The balancer.
    { name: "keepalived with one node", values: { nodes: prodNodes(1) }, key: "loadBalancer.mode", fix: /loadBalancer\.mode: haproxy/ },
    { name: "keepalived with a node given by name", values: { nodes: nodes([{ address: "node1.example.com" }]) }, key: "nodes[0].address", fix: /IPv4 addresses, not names/ },
    { name: "an explicit priority equal to another node's default", values: { nodes: nodes([{ priority: 0 }]).map((n, i, all) => (i === 0 ? { ...n, priority: defaultOf(all[1].name) } : n)) }, key: "nodes[0].priority", fix: /node2's default priority.*pick another value/ },
    { name: "two equal explicit priorities", values: { nodes: nodes([{ priority: 150 }, { priority: 150 }]) }, key: "nodes[0].priority", fix: /must differ/ },
    { name: "a VIP with haproxy mode", values: { loadBalancer: { mode: "haproxy", vip: "10.20.0.100" } }, key: "loadBalancer.vip", fix: /only used with loadBalancer\.mode keepalived/ },
    { name: "a priority with external mode", values: { loadBalancer: { mode: "external" }, nodes: nodes([{ priority: 120 }]) }, key: "nodes[0].priority", fix: /remove it/ },

    // Names.
    { name: "a node named ca", values: { nodes: nodes([{ name: "ca" }]) }, key: "nodes[0].name", fix: /reserved.*ca1/ },
    { name: "duplicate node names", values: { nodes: nodes([{}, { name: "node1" }]) }, key: "nodes[1].name", fix: /duplicate node name/ },

    // Redis.
    { name: "sentinels in standalone mode", values: { redis: { host: "10.20.0.7", sentinels: ["10.20.0.8:26379"] } }, key: "redis.sentinels", fix: /redis\.mode: sentinel/ },
    { name: "a master set with a space", values: { redis: { mode: "sentinel", sentinels: ["10.20.0.7:26379"], masterSet: "my master" } }, key: "redis.masterSet", fix: /letters, digits/ },
    { name: "a sentinel listed twice", values: { redis: { mode: "sentinel", sentinels: ["10.20.0.7:26379", "10.20.0.7:26379"], masterSet: "harbor" } }, key: "redis.sentinels", fix: /list each sentinel once/ },
    { name: "a port in sentinel mode", values: { redis: { mode: "sentinel", sentinels: ["10.20.0.7:26379"], masterSet: "harbor", port: 6380 } }, key: "redis.port", fix: /each sentinel is host:port/ },

    // Storage.
    { name: "a cephfs block with local storage", values: { nodes: prodNodes(1), loadBalancer: { mode: "haproxy" }, storage: { type: "local", cephfs: { monitors: ["10.20.0.5:6789"] } } }, key: "storage.cephfs", fix: /remove it/ },
    { name: "a Ceph key with local storage", values: { nodes: prodNodes(1), loadBalancer: { mode: "haproxy" }, storage: { type: "local" } }, key: "cephKey", fix: /pulumi config rm cephKey/ },

    // Values typed into the wrong field: refused without being echoed.
    { name: "a pasted value as harbor.protocol", values: { harbor: harbor({ protocol: PASTED[0] }) }, key: "harbor.protocol", fix: /one of https, http/ },
    { name: "a pasted value as redis.mode", values: { redis: { mode: PASTED[1], host: "10.20.0.7" } }, key: "redis.mode", fix: /one of standalone, sentinel/ },
    { name: "a pasted value as containers.restart", values: { containers: { restart: PASTED[2] } }, key: "containers.restart", fix: /one of always/ },
    { name: "a pasted value as loadBalancer.mode", values: { loadBalancer: { mode: PASTED[3] } }, key: "loadBalancer.mode", fix: /one of keepalived, haproxy, external/ },
    { name: "a pasted value as a node's transport", values: { nodes: nodes([{ transport: PASTED[4] }]) }, key: "nodes[0].transport", fix: /one of ssh, local/ },
    { name: "a number where a path goes", values: { storage: storage({ mountPoint: 12345 }) }, key: "storage.mountPoint", fix: /must be a string/ },
];


function errorOf(c: Case): string {
    const values: Record<string, unknown> = { ...base, ...c.values, ...(c.extra ?? {}) };
    try {
        loadClusterSpec(raw(values, c.secrets ?? prodSecrets));
    } catch (e) {
        return (e as Error).message;
    }
    assert.fail(`${c.name}: accepted`);
}

describe("L0 config: mistaken and hostile configs are refused, naming the key and the fix, echoing no secret", () => {
    it(`has at least 60 cases (${cases.length})`, () => assert.ok(cases.length >= 60));

    for (const c of cases) {
        it(c.name, () => {
            const message = errorOf(c);
            const line = message.split("\n").find((l) => l.includes(`harbor-ha:${c.key}:`));
            assert.ok(line, `no problem names harbor-ha:${c.key}; got:\n${message}`);
            assert.match(line!, c.fix);
            const secretValues = [...Object.values(c.secrets ?? prodSecrets), ...Object.values(SECRET_VALUES), ...PASTED, OTHER_KEY.split("\n")[1]];
            for (const v of secretValues) assert.ok(!message.includes(v), `the message shows a secret or pasted value`);
        });
    }

    it("accepts pinned ECDSA and Ed25519 host keys with strict checking", () => {
        const spec = loadClusterSpec(raw({ ...base, ssh: { privateKeyPath: "/dev/null", strictHostKeyChecking: "yes" }, nodes: nodes([{ hostKey: ECDSA }, { hostKey: ED25519 + " root@vm" }, { hostKey: ED25519 }]) }));
        assert.strictEqual(spec.nodes[0].hostKey, ECDSA);
    });

    it("accepts a provided certificate that covers the hostname, is current and matches its key", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hha-cert-"));
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=harbor.example.com", "-addext", "subjectAltName=DNS:harbor.example.com", "-keyout", `${dir}/k`, "-out", `${dir}/c`], { stdio: "ignore" });
        const spec = loadClusterSpec(raw({ ...base, tls: { mode: "provided", validityDays: 825, earlyRenewalDays: 10 }, tlsCertificate: fs.readFileSync(`${dir}/c`, "utf8") }, secrets({ tlsPrivateKey: fs.readFileSync(`${dir}/k`, "utf8") })));
        assert.strictEqual(spec.tls.mode, "provided");
        fs.rmSync(dir, { recursive: true });
    });
});
