/**
 * Evaluates the program's components under pulumi.runtime.setMocks (no engine, no network) and
 * returns every resource it declared: type, name, the inputs the provider would receive, and
 * the raw input values (Outputs) so a test can ask which ones are marked secret.
 *
 * This is a mock of the Pulumi engine and providers only; the values it returns for provider
 * outputs (random strings, keys, image ids) are stand-ins. Lab tests use it to get the exact
 * command strings and stdin a component sends to a host.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { HarborCluster } from "../../components/cluster";
import { DeployedRelease, planUpgrade } from "../../components/upgrade/plan";
import { loadClusterSpec, RawConfig } from "../../components/config/load";
import { ClusterSpec } from "../../components/config/spec";
import { testHostKey } from "./fixtures";

export interface CapturedResource {
    type: string;
    name: string;
    /** Inputs as the provider would see them (secrets unwrapped). */
    inputs: Record<string, any>;
    /** Inputs as the program passed them (may hold Outputs; use isSecretDeep). */
    rawProps: Record<string, any>;
    /** Provider reference (urn::id) for custom resources. */
    provider?: string;
    parentName?: string;
}

export interface Evaluation {
    /** Edges resource -> what it waits for (dependsOn, Outputs it consumes, a component's children). */
    dependencies: Map<string, Set<unknown>>;
    /** Component -> its direct children. */
    children: Map<string, string[]>;
    spec: ClusterSpec;
    cluster: HarborCluster;
    resources: CapturedResource[];
    byType(type: string): CapturedResource[];
    one(type: string, name: string): CapturedResource;
}

let counter = 0;

/** The stand-in RandomPassword.result the mock returns for a resource name and length. */
export function mockPasswordResult(name: string, length: number): string {
    return `${name.replace(/[^A-Za-z0-9]/g, "")}XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`.slice(0, length);
}

/** Deterministic stand-ins for provider-computed outputs. */
function mockOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
    switch (type) {
        // check() records the first-seen key when none is pinned (accept-new): a fixed test key here.
        case "pulumi-nodejs:dynamic/harbor-ha:SshHostKey":
            return { key: inputs.pinned ?? testHostKey(`first-seen-${inputs.node}`) };
        case "random:index/randomPassword:RandomPassword":
            return { result: mockPasswordResult(name, inputs.length), bcryptHash: `$2a$10$mockhash.${name}` };
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: `-----BEGIN RSA PRIVATE KEY-----\nmock-private-key-${name}\n-----END RSA PRIVATE KEY-----\n`, publicKeyPem: `mock-public-${name}` };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: `-----BEGIN CERTIFICATE-----\nmock-cert-${name}\n-----END CERTIFICATE-----\n` };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: `mock-csr-${name}` };
        case "docker:index/remoteImage:RemoteImage":
            return { imageId: `sha256:mock-${name}`, repoDigest: `${inputs.name}@sha256:mock` };
        case "command:remote:Command":
        case "command:local:Command":
            return { stdout: "ok", stderr: "" };
        default:
            return {};
    }
}

/** Evaluates HarborCluster for a raw stack config; resolves once every resource is registered. */
/** `deployed`: what the stack's previous run recorded (default: nothing, a first deployment). */
export async function evaluateCluster(raw: RawConfig, stack = "prod", deployed: DeployedRelease = { deployed: false }): Promise<Evaluation> {
    // The program writes its own known_hosts files: keep them out of the tester's home.
    process.env.HARBOR_HA_STATE_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "hha-state-"));
    const resources: CapturedResource[] = [];
    const rawByName = new Map<string, Record<string, any>>();
    const keyOf = new Map<pulumi.Resource, string>();
    const pending: Promise<void>[] = [];
    const dependencies = new Map<string, Set<unknown>>();
    const parents: [pulumi.Resource, string][] = [];
    const children = new Map<string, string[]>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: plain(args.inputs), rawProps: rawByName.get(`${args.type}::${args.name}`) ?? {}, provider: args.provider });
                return { id: `${args.name}-id-${++counter}`, state: { ...args.inputs, ...mockOutputs(args.type, args.name, args.inputs) } };
            },
            call() {
                return {};
            },
        },
        raw.project,
        stack,
        false,
    );
    const spec = loadClusterSpec(raw);
    const cluster = new HarborCluster("harbor", { spec, stack, upgrade: planUpgrade(spec, deployed) }, {
        transformations: [
            (a) => {
                const key = `${a.type}::${a.name}`;
                rawByName.set(key, a.props);
                keyOf.set(a.resource, key);
                pending.push(collectDependencies(key, a, dependencies));
                if (a.opts.parent) parents.push([a.opts.parent, key]);
                return undefined;
            },
        ],
    });
    // Registration is asynchronous: wait until the mock monitor has seen everything.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const settings = require("@pulumi/pulumi/runtime/settings");
    // Resources whose inputs wait on other resources' outputs register later: loop until quiet.
    let quiet = 0;
    while (quiet < 3) {
        const n = resources.length;
        await settings.waitForRPCs();
        await new Promise((r) => setTimeout(r, 10));
        quiet = resources.length === n ? quiet + 1 : 0;
    }
    await Promise.all(pending);
    // Map dependency objects to keys now that every resource is known (the stack root has none).
    for (const [k, deps] of dependencies) dependencies.set(k, new Set([...deps].map((d) => keyOf.get(d as pulumi.Resource)).filter((x): x is string => !!x)));
    for (const [parent, child] of parents) {
        const pk = keyOf.get(parent);
        if (pk) children.set(pk, [...(children.get(pk) ?? []), child]);
    }
    for (const r of resources) if (Object.keys(r.rawProps).length === 0) r.rawProps = rawByName.get(`${r.type}::${r.name}`) ?? {};
    const byType = (type: string) => resources.filter((r) => r.type === type);
    return {
        dependencies,
        children,
        spec,
        cluster,
        resources,
        byType,
        one(type: string, name: string) {
            const r = resources.find((x) => x.type === type && x.name === name);
            if (!r) throw new Error(`no ${type} named ${name}; have: ${byType(type).map((x) => x.name).join(", ")}`);
            return r;
        },
    };
}

/** Records what a resource waits for: explicit dependsOn and the resources behind its input Outputs. */
async function collectDependencies(key: string, a: pulumi.ResourceTransformationArgs, out: Map<string, Set<unknown>>): Promise<void> {
    const deps = new Set<unknown>();
    out.set(key, deps);
    for (const d of ([] as unknown[]).concat((a.opts.dependsOn as unknown) ?? [])) deps.add(d);
    const walk = async (v: unknown): Promise<void> => {
        if (pulumi.Output.isInstance(v)) {
            for (const r of await (v as any).allResources()) deps.add(r);
            return;
        }
        if (Array.isArray(v)) for (const x of v) await walk(x);
        else if (v && typeof v === "object" && !pulumi.Resource.isInstance(v)) for (const x of Object.values(v)) await walk(x);
    };
    await walk(a.props);
}

/** Everything `from` waits for, directly or not (dependencies and a component's children). */
export function reaches(ev: Evaluation, from: string): Set<string> {
    const out = new Set<string>();
    const todo = [from];
    while (todo.length) {
        const k = todo.pop()!;
        for (const d of [...(ev.dependencies.get(k) ?? []), ...(ev.children.get(k) ?? [])] as string[]) {
            if (!out.has(d)) {
                out.add(d);
                todo.push(d);
            }
        }
    }
    return out;
}

/** Longest chain of waits in the graph (a component waits for its children). */
export function dependencyDepth(ev: Evaluation): number {
    const memo = new Map<string, number>();
    const depth = (k: string, seen: Set<string>): number => {
        if (memo.has(k)) return memo.get(k)!;
        if (seen.has(k)) throw new Error(`dependency cycle at ${k}`);
        seen.add(k);
        let d = 0;
        for (const x of [...(ev.dependencies.get(k) ?? []), ...(ev.children.get(k) ?? [])]) d = Math.max(d, 1 + depth(x as string, seen));
        seen.delete(k);
        memo.set(k, d);
        return d;
    };
    let max = 0;
    for (const k of ev.dependencies.keys()) max = Math.max(max, depth(k, new Set()));
    return max;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** The mock monitor hands secrets over as {sig, value} envelopes; providers see the value. */
function plain(v: any): any {
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") {
        if (v[SIG_KEY] === SECRET_SIG) return plain(v.value);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return v;
}

/** Resolves an Output/Input tree to plain values. */
export function unwrap<T>(v: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
    return new Promise((resolve) => pulumi.output(v).apply((x) => resolve(x as pulumi.Unwrap<T>)));
}

/** Whether a value (or the Output it is) is marked secret. */
export async function isSecret(v: unknown): Promise<boolean> {
    if (pulumi.Output.isInstance(v)) return (v as any).isSecret as Promise<boolean>;
    return false;
}
