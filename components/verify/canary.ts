/**
 * The canary: proof that the nodes work as one registry. A tiny generated image is pushed
 * directly to one node, then pulled (manifest and blob) directly from every other node with the
 * token the first node signed, then through the balancer, then deleted. Each failure names the
 * node, the step and the likely cause, because the classic multi-node faults look alike from
 * outside ("401", "unknown") and differ in what to fix:
 * - a token from node A refused by node B: the token signing key or certificate differ;
 * - a blob or manifest unknown on node B: B's registry does not share A's storage;
 * - the login refused: the robot account is not in the database that node uses, or its
 *   secrets differ (core secret, database).
 */
import { oneLineError } from "../one-line-error";
import { Endpoint, harborApi, isRegistryError, pull, push, RegistryError, retryTransient, tinyImage, token } from "./registry-client";

export interface CanaryNode {
    name: string;
    endpoint: Endpoint;
}

export interface CanaryPlan {
    /** The node the image is pushed to; the others pull it. */
    pushTo: CanaryNode;
    pullFrom: CanaryNode[];
    /** The balancer (VIP, a node's haproxy, or the external URL) as clients reach it; optional for callers that test nodes only. */
    balancer?: CanaryNode;
    robot: { name: string; secret: string };
    project: string;
    repository: string;
}

export interface CanaryReport {
    digest: string;
    /** One line per step that passed, with its time. */
    steps: string[];
}

export interface CanaryFailure extends Error {
    canaryFailure: true;
    node: string;
    step: string;
    cause: string;
}

/** One line: node, step, likely cause, what the registry said. */
export function canaryFailure(node: string, step: string, cause: string, detail: string): CanaryFailure {
    return oneLineError(`canary failed on ${node} at "${step}": ${cause} (${detail})`, { canaryFailure: true as const, node, step, cause });
}

export function isCanaryFailure(e: unknown): e is CanaryFailure {
    return e instanceof Error && (e as Partial<CanaryFailure>).canaryFailure === true;
}

/** The likely cause of a failed step, from what the registry answered. */
export function classify(step: string, err: RegistryError, ctx: { pushedTo: string; node: string }): string {
    if (err.status === 0) return `${ctx.node} does not answer at ${err.address} (${err.code || "no connection"}): is the node up and its proxy port reachable from the Pulumi machine?`;
    if (step.startsWith("login")) {
        if (err.status === 401 || err.status === 403)
            return `${ctx.node} refuses the stack's canary robot account: the robot is not in the database this node uses, or the node's secrets differ (core secret, database settings): run the drift check`;
        return `${ctx.node}'s token service fails (HTTP ${err.status}): check its core container's log`;
    }
    if (err.status === 401 && step.includes(`token from ${ctx.pushedTo}`) && ctx.node !== ctx.pushedTo)
        return `token key mismatch: ${ctx.node} does not accept a token signed by ${ctx.pushedTo}; their token signing key or certificate differ: run the drift check`;
    // The node's own login passed before any pull: it shares the database, so "unknown" is storage.
    if (err.status === 404 || ["BLOB_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_UNKNOWN"].includes(err.code))
        return `storage not shared: ${ctx.node}'s registry does not see the image written through ${ctx.pushedTo} (check the CephFS mount and storage.mountPoint on both)`;
    if (err.status === 401 || err.status === 403) return `${ctx.node} refused the canary robot at "${step}": the robot lacks a permission it needs (edited in the UI?)`;
    return `${ctx.node} answered HTTP ${err.status}${err.code ? ` ${err.code}` : ""}: check its registry and core containers`;
}

async function step<T>(report: CanaryReport, node: string, name: string, ctx: { pushedTo: string }, f: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
        // Only "no answer" and 5xx are retried (bounded): a refusal or an unknown image is the finding.
        const v = await retryTransient(f);
        report.steps.push(`${node}: ${name} (${Date.now() - t0} ms)`);
        return v;
    } catch (e) {
        if (isRegistryError(e)) throw canaryFailure(node, name, classify(name, e, { ...ctx, node }), e.message);
        throw canaryFailure(node, name, "unexpected error", (e as Error).message);
    }
}

export async function runCanary(plan: CanaryPlan, marker: string): Promise<CanaryReport> {
    const report: CanaryReport = { digest: "", steps: [] };
    const repo = `${plan.project}/${plan.repository}`;
    const { name: user, secret } = plan.robot;
    const a = plan.pushTo;
    const ctx = { pushedTo: a.name };
    const img = tinyImage(marker);
    const tag = `c-${img.digest.slice(7, 19)}`;

    const tokenA = await step(report, a.name, "login (token for push and pull)", ctx, () => token(a.endpoint, user, secret, `repository:${repo}:push,pull`));
    report.digest = await step(report, a.name, "push", ctx, () => push(a.endpoint, tokenA, repo, tag, img));
    for (const b of plan.pullFrom) {
        // B's own login first: it proves B's core finds the robot, i.e. B uses the same database.
        const tokenB = await step(report, b.name, "login", ctx, () => token(b.endpoint, user, secret, `repository:${repo}:pull`));
        const name = `pull with the token from ${a.name}`;
        try {
            await step(report, b.name, name, ctx, () => pull(b.endpoint, tokenA, repo, report.digest));
        } catch (e) {
            // A refused foreign token: is it the key (B's own token works) or B's auth as a whole?
            if (isCanaryFailure(e) && /token key mismatch/.test(e.cause)) {
                const own = await pull(b.endpoint, tokenB, repo, report.digest).then(() => true, () => false);
                if (!own) throw canaryFailure(b.name, name, `${b.name} refuses tokens, even its own: its registry's token settings are broken (check its registry container)`, e.message);
            }
            throw e;
        }
    }
    if (plan.balancer) {
        const lb = plan.balancer;
        const tokenLb = await step(report, lb.name, "login through the balancer", ctx, () => token(lb.endpoint, user, secret, `repository:${repo}:pull`));
        await step(report, lb.name, "pull through the balancer", ctx, () => pull(lb.endpoint, tokenLb, repo, report.digest));
    }
    await step(report, a.name, "delete the canary image", ctx, async () => {
        await harborApi(a.endpoint, user, secret, "delete the canary image", "DELETE", `/projects/${plan.project}/repositories/${encodeURIComponent(plan.repository)}`, [200, 404]);
    });
    return report;
}
