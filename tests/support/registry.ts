/**
 * A small OCI distribution client for the end-to-end tests: the registry HTTP API v2 with the
 * standard bearer-token flow (401 + `WWW-Authenticate: Bearer realm=…,service=…` → GET realm with
 * basic auth and `scope` → token), blob upload (POST + PUT ?digest=), manifest PUT/GET, blob GET.
 * It talks to one address at a time (a node or the VIP) so a test can say which node answered,
 * and builds a tiny one-layer image in memory (no Docker CLI needed).
 *
 * Written here rather than taken from npm: the maintained clients there pull only (e.g.
 * @snyk/docker-registry-v2-client); none pushes.
 */
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";
import * as zlib from "zlib";

export interface Endpoint {
    /** host:port to connect to (node IP:8443, or VIP:443). */
    address: string;
    /** TLS server name / Host header (the cluster's hostname). */
    hostname: string;
    /** CA to verify the server with; omit for plain HTTP (a local test registry). */
    ca?: string;
}

export interface HttpAnswer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
}

export function request(ep: Endpoint, method: string, pathAndQuery: string, headers: Record<string, string> = {}, body?: Buffer, timeoutMs = 15000): Promise<HttpAnswer> {
    const [host, port] = ep.address.split(":");
    return new Promise((resolve, reject) => {
        const transport = ep.ca === undefined ? http : https;
        const req = transport.request(
            { host, port: Number(port), method, path: pathAndQuery, ca: ep.ca, servername: isIp(ep.hostname) ? undefined : ep.hostname, agent: false, timeout: timeoutMs, headers: { Host: ep.hostname, ...headers, ...(body ? { "Content-Length": String(body.length) } : {}) } },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (d: Buffer) => chunks.push(d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end(body);
    });
}

const isIp = (h: string) => /^\d+\.\d+\.\d+\.\d+$/.test(h);
export const sha256 = (b: Buffer) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

/** Parses `Bearer realm="…",service="…"`. */
export function parseChallenge(header: string | string[] | undefined): { realm: string; service: string } {
    const h = Array.isArray(header) ? header[0] : header ?? "";
    const field = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(h)?.[1];
    const realm = field("realm");
    if (!/^Bearer /i.test(h) || !realm) throw new Error(`not a bearer challenge: ${h}`);
    return { realm, service: field("service") ?? "" };
}

/**
 * Gets a token for `scope` from the token service OF THIS ENDPOINT (the realm's path, asked of
 * `tokenFrom`): the realm URL names the external hostname, but the test wants to know which
 * node signed the token.
 */
export async function token(tokenFrom: Endpoint, user: string, password: string, scope: string): Promise<string> {
    const probe = await request(tokenFrom, "GET", "/v2/");
    if (probe.status !== 401) throw new Error(`GET /v2/ on ${tokenFrom.address}: expected 401, got ${probe.status}`);
    const { realm, service } = parseChallenge(probe.headers["www-authenticate"]);
    const realmPath = new URL(realm).pathname;
    const q = new URLSearchParams({ service, scope });
    const res = await request(tokenFrom, "GET", `${realmPath}?${q}`, { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
    if (res.status !== 200) throw new Error(`token from ${tokenFrom.address}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
    const j = JSON.parse(res.body.toString());
    return j.token ?? j.access_token;
}

/** A one-file ustar archive (enough for a layer). */
function tarOneFile(name: string, content: Buffer): Buffer {
    const header = Buffer.alloc(512, 0);
    const put = (s: string, off: number, len: number) => header.write(s.slice(0, len), off, "ascii");
    const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
    put(name, 0, 100);
    put(octal(0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(content.length, 12), 124, 12);
    put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
    header.fill(" ", 148, 156);
    put("0", 156, 1);
    put("ustar\0", 257, 6);
    put("00", 263, 2);
    let sum = 0;
    for (const b of header) sum += b;
    put(octal(sum, 7) + " ", 148, 8);
    const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
    return Buffer.concat([header, content, pad, Buffer.alloc(1024, 0)]);
}

export interface TinyImage {
    layer: Buffer;
    config: Buffer;
    manifest: Buffer;
    digest: string;
}

/** A unique one-layer image (its file holds `marker`), OCI/Docker schema 2. */
export function tinyImage(marker: string): TinyImage {
    const tar = tarOneFile("harbor-ha-e2e.txt", Buffer.from(`${marker}\n`));
    const layer = zlib.gzipSync(tar);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [sha256(tar)] } }));
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.docker.distribution.manifest.v2+json",
            config: { mediaType: "application/vnd.docker.container.image.v1+json", size: config.length, digest: sha256(config) },
            layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: layer.length, digest: sha256(layer) }],
        }),
    );
    return { layer, config, manifest, digest: sha256(manifest) };
}

async function pushBlob(ep: Endpoint, auth: string, repo: string, blob: Buffer): Promise<void> {
    const start = await request(ep, "POST", `/v2/${repo}/blobs/uploads/`, { Authorization: auth });
    if (start.status !== 202) throw new Error(`blob upload start on ${ep.address}: HTTP ${start.status} ${start.body.toString().slice(0, 200)}`);
    const loc = new URL(String(start.headers.location), `https://${ep.hostname}`);
    loc.searchParams.set("digest", sha256(blob));
    const put = await request(ep, "PUT", `${loc.pathname}${loc.search}`, { Authorization: auth, "Content-Type": "application/octet-stream" }, blob);
    if (put.status !== 201) throw new Error(`blob upload on ${ep.address}: HTTP ${put.status} ${put.body.toString().slice(0, 200)}`);
}

/** Pushes `img` as repo:tag through `ep`; returns the manifest digest the registry reports. */
export async function push(ep: Endpoint, bearer: string, repo: string, tag: string, img: TinyImage): Promise<string> {
    const auth = `Bearer ${bearer}`;
    await pushBlob(ep, auth, repo, img.layer);
    await pushBlob(ep, auth, repo, img.config);
    const res = await request(ep, "PUT", `/v2/${repo}/manifests/${tag}`, { Authorization: auth, "Content-Type": "application/vnd.docker.distribution.manifest.v2+json" }, img.manifest);
    if (res.status !== 201) throw new Error(`manifest push on ${ep.address}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
    return String(res.headers["docker-content-digest"]);
}

/** Pulls manifest (by tag) and its layer blob through `ep`; returns the manifest digest. */
export async function pull(ep: Endpoint, bearer: string, repo: string, tag: string, timeoutMs = 15000): Promise<{ digest: string; layerDigest: string }> {
    const auth = `Bearer ${bearer}`;
    const m = await request(ep, "GET", `/v2/${repo}/manifests/${tag}`, { Authorization: auth, Accept: "application/vnd.docker.distribution.manifest.v2+json" }, undefined, timeoutMs);
    if (m.status !== 200) throw new Error(`manifest pull on ${ep.address}: HTTP ${m.status} ${m.body.toString().slice(0, 200)}`);
    const layer = JSON.parse(m.body.toString()).layers[0].digest as string;
    const b = await request(ep, "GET", `/v2/${repo}/blobs/${layer}`, { Authorization: auth }, undefined, timeoutMs);
    // The registry may redirect blob reads to storage; Harbor's filesystem driver serves them.
    if (b.status !== 200) throw new Error(`blob pull on ${ep.address}: HTTP ${b.status} ${b.body.toString().slice(0, 200)}`);
    if (sha256(b.body) !== layer) throw new Error(`blob from ${ep.address} does not match its digest`);
    return { digest: sha256(m.body), layerDigest: layer };
}
