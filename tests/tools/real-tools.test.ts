/**
 * L2: rendered configs fed to the real software from Debian (scripts/ci/install-tools.sh):
 * nginx -t (Harbor's proxy and portal run nginx), distribution's registry (Harbor's
 * registry-photon is distribution 2.8.x), keepalived -t and haproxy -c.
 *
 * Where a config names an in-container path that cannot exist on this host (/etc/cert,
 * /storage, /etc/registry), the test rewrites only that path and says so; everything else is
 * exactly what the profile rendered.
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { loadClusterSpec } from "../../components/config/load";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { ContainerSpec, SharedValues } from "../../components/profiles/types";
import { REGISTRY_USER } from "../../components/profiles/v2";
import { harborRedisValues, v1RedisValues } from "../../components/redis/harbor-values";
import { registryHtpasswdLine } from "../../components/registry-htpasswd";
import { localInstanceOf } from "../../components/load-balancer";
import { LB_PATHS, renderHaproxyConfig, renderHealthCheckScript, renderKeepalivedConfig, vrrpPeerCreate } from "../../components/scripts/load-balancer";
import { prodConfig, raw, v1Config } from "../support/fixtures";
import { freePort } from "../support/services/network";
import { tool } from "../support/tools";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-l2-"));
const bin = (name: string) => tool(name, name === "redis-server" ? "services" : "tools");
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", timeout: 30000 });
const fileOf = (c: ContainerSpec, p: string) => c.files.find((f) => f.path === p)!.content;


function selfSigned(dir: string): { crt: string; key: string } {
    const crt = path.join(dir, "server.crt");
    const key = path.join(dir, "server.key");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=harbor.example.com", "-keyout", key, "-out", crt], { stdio: "ignore" });
    return { crt, key };
}

function specFor(overrides: Record<string, unknown> = {}) {
    return loadClusterSpec(raw(prodConfig(3, overrides)));
}

/** nginx -t in a private mount namespace whose /etc/hosts resolves Harbor's internal names. */
function nginxTest(conf: string): { status: number | null; out: string } {
    const dir = fs.mkdtempSync(path.join(tmp, "nginx-"));
    const certs = selfSigned(dir);
    const rewritten = conf.replace(/\/etc\/(nginx\/)?cert\/server\.crt/g, certs.crt).replace(/\/etc\/(nginx\/)?cert\/server\.key/g, certs.key);
    fs.writeFileSync(path.join(dir, "nginx.conf"), rewritten);
    fs.writeFileSync(path.join(dir, "hosts"), "127.0.0.1 localhost core portal registry registryctl jobservice ui adminserver\n");
    // Output to a file: /dev/stdout (Harbor's access_log) cannot be opened on node's stdio sockets.
    const sh = `mount --bind ${dir}/hosts /etc/hosts && exec ${bin("nginx")} -t -q -c ${dir}/nginx.conf -p ${dir} >${dir}/out 2>&1`;
    const r = run("unshare", ["--mount", "--propagation", "private", "sh", "-c", sh]);
    return { status: r.status, out: r.stderr + fs.readFileSync(`${dir}/out`, "utf8") };
}

/**
 * Runs Debian's docker-registry with a rendered config.yml on this host: the fixed in-container
 * listen addresses are rewritten to free loopback ports (the caller rewrites any paths). Resolves
 * with /v2/'s first answer once the registry answers.
 */
async function serveRegistry(doc: any, dir: string, processes: ChildProcess[]): Promise<{ port: number; first: Response; log: () => string }> {
    const port = await freePort();
    doc.http.addr = `127.0.0.1:${port}`;
    doc.http.debug.addr = `127.0.0.1:${await freePort()}`;
    fs.writeFileSync(path.join(dir, "config.yml"), YAML.stringify(doc));
    const reg = spawn(bin("docker-registry"), ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
    processes.push(reg);
    let log = "";
    reg.stderr!.on("data", (d) => (log += d));
    for (let i = 0; i < 100; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
        if (res) return { port, first: res, log: () => log };
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`registry did not answer:\n${log}`);
}

/** A real redis-server on a free loopback port with `password`. */
async function startRedis(name: string, password: string, processes: ChildProcess[]): Promise<number> {
    const port = await freePort();
    const conf = path.join(tmp, `${name}.conf`);
    fs.writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\nrequirepass "${password.replace(/["\\]/g, "\\$&")}"\n`);
    processes.push(spawn(bin("redis-server"), [conf], { stdio: "ignore" }));
    return port;
}

interface TokenKey { pem: string; cert: string; x5c: string }

/** A token key pair in the stack's form (RSA key + self-signed cert, CN harbor-token-issuer). */
function tokenKey(dir: string, name: string): TokenKey {
    const key = path.join(dir, `${name}.key`);
    const cert = path.join(dir, `${name}.crt`);
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=harbor-token-issuer", "-days", "1"], { stdio: "ignore" });
    const pem = fs.readFileSync(cert, "utf8");
    return { pem: fs.readFileSync(key, "utf8"), cert: pem, x5c: new crypto.X509Certificate(pem).raw.toString("base64") };
}

/** A bearer token as Harbor 1.x's ui issues them (RS256 JWT, x5c header; src/ui/service/token). */
function signToken(k: TokenKey, scope: string): string {
    const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64url");
    const [type, name, actions] = scope ? scope.split(":") : [];
    const now = Math.floor(Date.now() / 1000);
    const header = b64(JSON.stringify({ alg: "RS256", typ: "JWT", x5c: [k.x5c] }));
    const access = type ? [{ type, name, actions: actions.split(",") }] : [];
    const claims = b64(JSON.stringify({ iss: "harbor-token-issuer", sub: "admin", aud: "harbor-registry", exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access }));
    return `${header}.${claims}.${b64(crypto.sign("sha256", Buffer.from(`${header}.${claims}`), k.pem))}`;
}

describe("L2 real tools accept the rendered configs", function () {
    this.timeout(120000);
    const processes: ChildProcess[] = [];
    after(() => {
        for (const p of processes) p.kill("SIGKILL");
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    for (const protocol of ["https", "http"] as const) {
        it(`nginx -t accepts the proxy nginx.conf (${protocol})`, () => {
            const spec = specFor({ harbor: { hostname: "harbor.example.com", protocol } });
            const proxy = renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === "proxy")!;
            const r = nginxTest(fileOf(proxy, "/etc/nginx/nginx.conf"));
            assert.strictEqual(r.status, 0, r.out);
        });
    }

    for (const version of ["v1.5.4", "v1.1.2"])
        for (const protocol of ["https", "http"] as const) {
            it(`nginx -t accepts the Harbor ${version} proxy nginx.conf (${protocol})`, () => {
                const spec = loadClusterSpec(raw(v1Config(version, 3, { harbor: { hostname: "harbor.example.com", version, protocol } })));
                const proxy = renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === "proxy")!;
                const r = nginxTest(fileOf(proxy, "/etc/nginx/nginx.conf"));
                assert.strictEqual(r.status, 0, r.out);
            });
        }

    it("nginx -t rejects a broken proxy config (the check can fail)", () => {
        const spec = specFor();
        const proxy = renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === "proxy")!;
        const r = nginxTest(fileOf(proxy, "/etc/nginx/nginx.conf").replace("proxy_buffering off;", "proxy_buffering sideways;"));
        assert.notStrictEqual(r.status, 0);
    });

    it("nginx -t accepts the portal nginx.conf", () => {
        const spec = specFor();
        const portal = renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === "portal")!;
        const r = nginxTest(fileOf(portal, "/etc/nginx/nginx.conf"));
        assert.strictEqual(r.status, 0, r.out);
    });

    it("distribution's registry serves the rendered config.yml: /v2/ answers 401, and 200 with the registry credential", async () => {
        // A real Redis with an awkward password: the registry's layerinfo cache is on Redis.
        const redisPassword = "p@ss:w/rd%#'\"{ }: -x";
        const redisPort = await startRedis("redis", redisPassword, processes);

        const spec = specFor({ redis: { host: "127.0.0.1", port: redisPort } });
        const registryPassword = "R3gistryPassw0rdWithoutSpecials00";
        // The program's own htpasswd line (bcrypt cost 5, derived salt): the real registry must accept it.
        const htpasswd = registryHtpasswdLine(REGISTRY_USER, registryPassword);
        const shared: SharedValues = {
            ...placeholderShared(spec, true),
            registryHttpSecret: "http-secret-0123456789abcdef",
            registryHtpasswd: htpasswd,
            redis: harborRedisValues(spec.redis.endpoint, redisPassword),
        };
        const registry = renderNode(spec, spec.nodes[0], shared, "prod").find((c) => c.component === "registry")!;
        const doc = YAML.parse(fileOf(registry, "/etc/registry/config.yml"));
        assert.strictEqual(doc.redis.password, redisPassword, "YAML round-trips the password exactly");
        // In-container paths and the fixed port, rewritten for this host:
        const dir = fs.mkdtempSync(path.join(tmp, "registry-"));
        doc.storage.filesystem.rootdirectory = path.join(dir, "storage");
        doc.auth.htpasswd.path = path.join(dir, "passwd");
        fs.writeFileSync(path.join(dir, "passwd"), fileOf(registry, "/etc/registry/passwd"));
        const served = await serveRegistry(doc, dir, processes);
        const { port } = served;
        const url = `http://127.0.0.1:${port}/v2/`;
        assert.strictEqual(served.first.status, 401, `registry did not answer 401:\n${served.log()}`);
        const auth = "Basic " + Buffer.from(`${REGISTRY_USER}:${registryPassword}`).toString("base64");
        assert.strictEqual((await fetch(url, { headers: { Authorization: auth } })).status, 200, served.log());
        const wrong = "Basic " + Buffer.from(`${REGISTRY_USER}:nope`).toString("base64");
        assert.strictEqual((await fetch(url, { headers: { Authorization: wrong } })).status, 401);
        // A blob upload exercises storage + the Redis layerinfo cache with the escaped password.
        const up = await fetch(`http://127.0.0.1:${port}/v2/library/t/blobs/uploads/`, { method: "POST", headers: { Authorization: auth } });
        assert.strictEqual(up.status, 202, served.log());
    });

    it("distribution's registry serves the Harbor 1.5 config.yml: token auth against the shared root.crt, layer cache in Redis", async () => {
        // Debian's docker-registry is distribution 2.8.2; Harbor 1.5 ran 2.6.2 (registry-photon:v2.6.2-v1.5.x).
        // The config keys used here (token auth, redis cache with password/db) exist in both.
        const redisPassword = "re@dis:pa/ss%word#?";
        const redisPort = await startRedis("redis-v1", redisPassword, processes);
        const dir = fs.mkdtempSync(path.join(tmp, "registry-v1-"));
        const token = tokenKey(dir, "stack");
        const stranger = tokenKey(dir, "other");
        const spec = loadClusterSpec(raw(v1Config("v1.5.4", 3, { redis: { host: "127.0.0.1", port: redisPort } })));
        const shared: SharedValues = { ...placeholderShared(spec, true), registryHttpSecret: "http-secret-0123456789abcdef", tokenCertificate: token.cert, redis: v1RedisValues(spec.redis.endpoint, redisPassword) };
        const registry = renderNode(spec, spec.nodes[0], shared, "prod").find((c) => c.component === "registry")!;
        const doc = YAML.parse(fileOf(registry, "/etc/registry/config.yml"));
        // In-container paths and the fixed port, rewritten for this host:
        doc.storage.filesystem.rootdirectory = path.join(dir, "storage");
        doc.auth.token.rootcertbundle = path.join(dir, "root.crt");
        fs.writeFileSync(path.join(dir, "root.crt"), fileOf(registry, "/etc/registry/root.crt"));
        const served = await serveRegistry(doc, dir, processes);
        const { port } = served;
        const url = `http://127.0.0.1:${port}/v2/`;
        const res = served.first;
        assert.strictEqual(res.status, 401, `registry did not answer 401:\n${served.log()}`);
        assert.strictEqual(res.headers.get("www-authenticate"), `Bearer realm="https://harbor.example.com/service/token",service="harbor-registry"`);
        const bearer = (k: TokenKey, scope: string) => ({ Authorization: `Bearer ${signToken(k, scope)}` });
        assert.strictEqual((await fetch(url, { headers: bearer(token, "") })).status, 200, served.log());
        assert.strictEqual((await fetch(url, { headers: bearer(stranger, "") })).status, 401, "a token signed by another key is refused");
        // A blob upload and a HEAD on it exercise the storage and the Redis layer cache with the password.
        const push = bearer(token, "repository:library/t:push,pull");
        const up = await fetch(`http://127.0.0.1:${port}/v2/library/t/blobs/uploads/`, { method: "POST", headers: push });
        assert.strictEqual(up.status, 202, served.log());
        const blob = Buffer.from("harbor-ha v1 layer");
        const digest = `sha256:${crypto.createHash("sha256").update(blob).digest("hex")}`;
        const loc = new URL(up.headers.get("location")!, url);
        loc.searchParams.set("digest", digest);
        assert.strictEqual((await fetch(loc, { method: "PUT", headers: { ...push, "Content-Type": "application/octet-stream" }, body: blob })).status, 201, served.log());
        assert.strictEqual((await fetch(`http://127.0.0.1:${port}/v2/library/t/blobs/${digest}`, { method: "HEAD", headers: push })).status, 200, served.log());
        // The descriptor cache wrote to Redis with the password, in the registry's DB index.
        const keys = run(tool("redis-cli", "services"), ["-p", String(redisPort), "-a", redisPassword, "--no-auth-warning", "-n", String(doc.redis.db), "--scan"]);
        assert.match(keys.stdout, new RegExp(digest), `no cached descriptor in Redis DB ${doc.redis.db}: ${keys.stdout}${keys.stderr}\n${served.log()}`);
    });

    it("keepalived -t accepts the rendered keepalived.conf", () => {
        const iface = execFileSync("sh", ["-c", "ip -o route get 1.1.1.1 2>/dev/null | awk '{print $5}' || true"], { encoding: "utf8" }).trim() || "lo";
        const spec = specFor({ loadBalancer: { mode: "keepalived", vip: "10.20.0.100", subnet: "10.20.0.0/24", interface: iface } });
        // In a private mount namespace, /etc/keepalived holds exactly what the node gets: the
        // config and the track script (keepalived -t checks that the script exists and is safe).
        const dir = fs.mkdtempSync(path.join(tmp, "keepalived-"));
        // The peer files come from the program's own vrrpPeerCreate scripts, run in the namespace.
        const peerScripts = [spec.nodes[1], spec.nodes[2]].map((n) => vrrpPeerCreate(n)).join("\n");
        const check = (conf: string, withPeers = true) => {
            fs.writeFileSync(path.join(dir, "keepalived.conf"), conf);
            fs.writeFileSync(path.join(dir, "harbor-ha-check.sh"), renderHealthCheckScript(spec), { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "peers.sh"), withPeers ? peerScripts : "true\n");
            const sh = `mkdir -p /etc/keepalived && mount -t tmpfs -o mode=0755 tmpfs /etc/keepalived && cp -p ${dir}/keepalived.conf ${dir}/harbor-ha-check.sh /etc/keepalived/ && ` +
                `sh ${dir}/peers.sh >/dev/null && exec ${bin("keepalived")} -t -f ${LB_PATHS.keepalivedCfg}`;
            return run("unshare", ["--mount", "--propagation", "private", "sh", "-c", sh]);
        };
        const r = check(renderKeepalivedConfig(spec, spec.nodes[0], true));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        // Why keepalived waits for its peer files: with none, keepalived falls back to multicast.
        const none = check(renderKeepalivedConfig(spec, spec.nodes[0], true), false);
        assert.notStrictEqual(none.status, 0);
        assert.match(none.stdout + none.stderr, /without any unicast peers/);
        const bad = check(renderKeepalivedConfig(spec, spec.nodes[0], true).replace("virtual_router_id", "virtual_router_idd"));
        assert.notStrictEqual(bad.status, 0, "keepalived -t must reject an unknown keyword");
    });

    for (const protocol of ["https", "http"] as const) {
        it(`haproxy -c accepts the rendered haproxy.cfg (${protocol})`, () => {
            const spec = specFor({ harbor: { hostname: "harbor.example.com", protocol } });
            const backends = spec.nodes.map((n) => ({ name: n.name, address: n.address, port: protocol === "https" ? n.httpsPort : n.httpPort, healthPort: n.healthPort }));
            const local = [localInstanceOf(spec, spec.nodes[0])];
            const cfg = path.join(tmp, `haproxy-${protocol}.cfg`);
            // The drain list is read at start and must exist; point it into the temp dir.
            const list = path.join(tmp, "drained.lst");
            fs.writeFileSync(list, "");
            fs.writeFileSync(cfg, renderHaproxyConfig(spec, spec.nodes[0], backends, local).replace(LB_PATHS.drainList, list));
            const r = run(bin("haproxy"), ["-c", "-f", cfg]);
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        });
    }
});
