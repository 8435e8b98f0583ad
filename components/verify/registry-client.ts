/**
 * A small OCI distribution client: the registry HTTP API v2 with the standard bearer-token flow
 * (401 + `WWW-Authenticate: Bearer realm=…,service=…` → GET realm with basic auth and `scope` →
 * token), blob upload (POST + PUT ?digest=), manifest PUT/GET, blob GET, and a tiny one-layer
 * image built in memory (no Docker CLI needed). It talks to one address at a time (a node or
 * the balancer) so a caller can say which node answered what. Used by the stack's canary
 * (./canary.ts) and the end-to-end suite.
 *
 * Written here rather than taken from npm: the maintained clients there pull only (e.g.
 * @snyk/docker-registry-v2-client); none pushes.
 */
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";
import * as zlib from "zlib";
import { oneLineError } from "../one-line-error";

export interface Endpoint {
    /** host:port to connect to (node IP:8443, or VIP:443). */
    address: string;
    /** TLS server name / Host header (the cluster's hostname). */
    hostname: string;
    /** CA to verify the server with (PEM); TLS with the system roots when `tls` is set without it. */
    ca?: string;
    /** https; default: when a CA is given. */
    tls?: boolean;
}

export interface HttpAnswer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
}

/** A registry answer other than the expected one, with what the registry said (never a credential). */
export interface RegistryError extends Error {
    registryError: true;
    step: string;
    address: string;
    /** HTTP status; 0 when nothing answered. */
    status: number;
    /** The distribution error code (BLOB_UNKNOWN, UNAUTHORIZED, …), the connection error code, or "". */
    code: string;
}

export function registryError(step: string, address: string, status: number, code: string, detail: string): RegistryError {
    const text = `${step} on ${address}: ${status ? `HTTP ${status}` : "no answer"}${code ? ` ${code}` : ""}${detail ? `: ${detail}` : ""}`;
    return oneLineError(text, { registryError: true as const, step, address, status, code });
}

export function isRegistryError(e: unknown): e is RegistryError {
    return e instanceof Error && (e as Partial<RegistryError>).registryError === true;
}

const useTls = (ep: Endpoint) => ep.tls ?? ep.ca !== undefined;

export function request(ep: Endpoint, method: string, pathAndQuery: string, headers: Record<string, string> = {}, body?: Buffer, timeoutMs = 15000): Promise<HttpAnswer> {
    const i = ep.address.lastIndexOf(":");
    const host = ep.address.slice(0, i);
    const port = Number(ep.address.slice(i + 1));
    return new Promise((resolve, reject) => {
        const transport = useTls(ep) ? https : http;
        const req = transport.request(
            { host, port, method, path: pathAndQuery, ca: ep.ca, servername: isIp(ep.hostname) ? undefined : ep.hostname, agent: false, timeout: timeoutMs, headers: { Host: ep.hostname, ...headers, ...(body ? { "Content-Length": String(body.length) } : {}) } },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (d: Buffer) => chunks.push(d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(Object.assign(new Error(`timeout after ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
        req.on("error", reject);
        req.end(body);
    });
}

const isIp = (h: string) => /^\d+\.\d+\.\d+\.\d+$/.test(h);
export const sha256 = (b: Buffer) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

/** The first distribution error code of an answer body ({"errors":[{"code":…}]}), or "". */
export function errorCode(body: Buffer): string {
    try {
        const j = JSON.parse(body.toString()) as { errors?: { code?: string }[] };
        return j.errors?.[0]?.code ?? "";
    } catch {
        return "";
    }
}

/** One request of `step`; anything but `expect` (or no answer at all) is a RegistryError. */
async function expectStatus(step: string, ep: Endpoint, expect: number[], method: string, p: string, headers: Record<string, string> = {}, body?: Buffer, timeoutMs?: number): Promise<HttpAnswer> {
    let res: HttpAnswer;
    try {
        res = await request(ep, method, p, headers, body, timeoutMs);
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw registryError(step, ep.address, 0, err.code ?? "", err.message);
    }
    if (!expect.includes(res.status)) throw registryError(step, ep.address, res.status, errorCode(res.body), res.body.toString().slice(0, 200).trim());
    return res;
}

/** Parses `Bearer realm="…",service="…"`. */
export function parseChallenge(header: string | string[] | undefined): { realm: string; service: string } {
    const h = Array.isArray(header) ? header[0] : header ?? "";
    const field = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(h)?.[1];
    const realm = field("realm");
    if (!/^Bearer /i.test(h) || !realm) throw new Error(`not a bearer challenge: ${h}`);
    return { realm, service: field("service") ?? "" };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/**
 * Gets a token for `scope` from the token service OF THIS ENDPOINT (the realm's path, asked of
 * `tokenFrom`): the realm URL names the external hostname, but the caller wants to know which
 * node signed the token.
 */
export async function token(tokenFrom: Endpoint, user: string, password: string, scope: string): Promise<string> {
    const probe = await expectStatus("registry probe (GET /v2/)", tokenFrom, [401], "GET", "/v2/");
    const { realm, service } = parseChallenge(probe.headers["www-authenticate"]);
    const realmPath = new URL(realm).pathname;
    const q = new URLSearchParams({ service, scope });
    const res = await expectStatus("login (token request)", tokenFrom, [200], "GET", `${realmPath}?${q}`, { Authorization: basic(user, password) });
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
    put(octal(0, 12), 136, 12);
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

export const MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";

/** A unique one-layer image (its file holds `marker`), Docker schema 2 (what every Harbor 2.x serves). */
export function tinyImage(marker: string): TinyImage {
    const tar = tarOneFile("harbor-ha-canary.txt", Buffer.from(`${marker}\n`));
    // mtime 0 in the gzip header: the same marker always gives the same digests.
    const layer = zlib.gzipSync(tar);
    layer.writeUInt32LE(0, 4);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [sha256(tar)] } }));
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: MANIFEST_TYPE,
            config: { mediaType: "application/vnd.docker.container.image.v1+json", size: config.length, digest: sha256(config) },
            layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: layer.length, digest: sha256(layer) }],
        }),
    );
    return { layer, config, manifest, digest: sha256(manifest) };
}

async function pushBlob(ep: Endpoint, auth: string, repo: string, blob: Buffer): Promise<void> {
    const start = await expectStatus("blob upload start", ep, [202], "POST", `/v2/${repo}/blobs/uploads/`, { Authorization: auth });
    const loc = new URL(String(start.headers.location), `https://${ep.hostname}`);
    loc.searchParams.set("digest", sha256(blob));
    await expectStatus("blob upload", ep, [201], "PUT", `${loc.pathname}${loc.search}`, { Authorization: auth, "Content-Type": "application/octet-stream" }, blob);
}

/** Pushes `img` as repo:tag through `ep`; returns the manifest digest the registry reports. */
export async function push(ep: Endpoint, bearer: string, repo: string, tag: string, img: TinyImage): Promise<string> {
    const auth = `Bearer ${bearer}`;
    await pushBlob(ep, auth, repo, img.layer);
    await pushBlob(ep, auth, repo, img.config);
    const res = await expectStatus("manifest push", ep, [201], "PUT", `/v2/${repo}/manifests/${tag}`, { Authorization: auth, "Content-Type": MANIFEST_TYPE }, img.manifest);
    return String(res.headers["docker-content-digest"]);
}

/** Pulls manifest (by tag or digest) and its layer blob through `ep`; returns the manifest digest. */
export async function pull(ep: Endpoint, bearer: string, repo: string, ref: string, timeoutMs = 15000): Promise<{ digest: string; layerDigest: string }> {
    const auth = `Bearer ${bearer}`;
    const m = await expectStatus("manifest pull", ep, [200], "GET", `/v2/${repo}/manifests/${ref}`, { Authorization: auth, Accept: MANIFEST_TYPE }, undefined, timeoutMs);
    const layer = JSON.parse(m.body.toString()).layers[0].digest as string;
    // Harbor's filesystem storage serves blob reads itself (no redirect to the storage backend).
    const b = await expectStatus("blob pull", ep, [200], "GET", `/v2/${repo}/blobs/${layer}`, { Authorization: auth }, undefined, timeoutMs);
    if (sha256(b.body) !== layer) throw registryError("blob pull", ep.address, 200, "DIGEST_INVALID", "the blob does not match its digest");
    return { digest: sha256(m.body), layerDigest: layer };
}

/** Harbor's own API (not the registry's) with basic auth: JSON in, JSON out. */
export async function harborApi(ep: Endpoint, user: string, password: string, step: string, method: string, p: string, expect: number[], json?: unknown): Promise<HttpAnswer> {
    return jsonCall(ep, basic(user, password), step, method, `/api/v2.0${p}`, expect, json);
}

/** One JSON request with this Authorization; anything but `expect` is a RegistryError. */
function jsonCall(ep: Endpoint, authorization: string, step: string, method: string, fullPath: string, expect: number[], json?: unknown): Promise<HttpAnswer> {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers: Record<string, string> = { Authorization: authorization, Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) };
    return expectStatus(step, ep, expect, method, fullPath, headers, body);
}

/**
 * A Harbor API call as a solution user: `Authorization: Harbor-Secret <secret>` with the stack's
 * JOBSERVICE_SECRET, which core's secret store maps to the jobservice user
 * (src/lib/config/systemconfig.go initSecretStore) and whose security context may do anything
 * (src/common/security/secret/context.go Can), unlike an admin login it survives a password
 * change in the UI.
 */
export async function harborSecretApi(ep: Endpoint, secret: string, step: string, method: string, p: string, expect: number[], json?: unknown, prefix = "/api/v2.0"): Promise<HttpAnswer> {
    return jsonCall(ep, `Harbor-Secret ${secret}`, step, method, `${prefix}${p}`, expect, json);
}

/** Worth another try: nothing answered, or the server failed (5xx), e.g. a VIP just being claimed. */
export function isTransient(e: unknown): boolean {
    return isRegistryError(e) && (e.status === 0 || e.status >= 500);
}

/**
 * Runs `f` until it succeeds, fails for a reason that is not transient, or `deadlineMs` has
 * passed (then the last error is thrown, saying how long it was tried). The checks run right
 * after the balancers (re)started: the VIP may take a few seconds to be claimed.
 */
export async function retryTransient<T>(f: () => Promise<T>, deadlineMs = 90_000, pauseMs = 2_000): Promise<T> {
    const start = Date.now();
    for (let attempt = 1; ; attempt++) {
        try {
            return await f();
        } catch (e) {
            if (!isTransient(e) || Date.now() - start + pauseMs > deadlineMs) {
                if (attempt > 1 && e instanceof Error) {
                    e.message = `${e.message} (tried ${attempt} times over ${Math.round((Date.now() - start) / 1000)} s)`;
                    e.stack = e.message;
                }
                throw e;
            }
            await new Promise((r) => setTimeout(r, pauseMs));
        }
    }
}
