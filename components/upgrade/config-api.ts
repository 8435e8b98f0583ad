/**
 * Harbor's read-only switch, as the stack's own solution user (registry-client harborSecretApi):
 * - read through GET /api/v2.0/internalconfig ({"read_only": {"value": …, "editable": …}}:
 *   src/server/v2.0/handler/config.go, v2.3.0 to v2.15.2); v2.1 and v2.2 answer 404 there and
 *   serve GET /api/internal/configurations instead ({"read_only": <bool>}, src/core/api/config.go
 *   GetInternalConfig). Only a stack that recorded no version can still run those;
 * - set through PUT /api/v2.0/configurations {"read_only": …} (200, empty body; solution users
 *   may, in v2.1 to v2.15.2).
 * The setting lives in the shared database (and the shared Redis config cache), so one core's
 * answer holds for every node.
 */
import { oneLineError } from "../one-line-error";
import { Endpoint, harborSecretApi, isRegistryError, retryTransient } from "../verify/registry-client";

function explain(e: unknown, what: string): Error {
    if (isRegistryError(e) && (e.status === 401 || e.status === 403))
        return oneLineError(`${what}: Harbor refused the stack's jobservice secret (${e.step} on ${e.address}, HTTP ${e.status}); is every core running with the stack's JOBSERVICE_SECRET?`);
    return e instanceof Error ? oneLineError(`${what}: ${e.message}`) : new Error(String(e));
}

export async function readOnlyState(api: Endpoint, secret: string): Promise<boolean> {
    try {
        const step = "read Harbor's read-only setting";
        const res = await retryTransient(() => harborSecretApi(api, secret, step, "GET", "/internalconfig", [200, 404]));
        const answer = res.status === 200 ? res : await retryTransient(() => harborSecretApi(api, secret, step, "GET", "/configurations", [200], undefined, "/api/internal"));
        const value = (JSON.parse(answer.body.toString()) as Record<string, unknown>).read_only;
        return value === true || (typeof value === "object" && value !== null && (value as { value?: unknown }).value === true);
    } catch (e) {
        throw explain(e, "read-only window");
    }
}

export async function setReadOnly(api: Endpoint, secret: string, value: boolean): Promise<void> {
    try {
        await retryTransient(() => harborSecretApi(api, secret, value ? "switch Harbor to read-only" : "switch Harbor back to read-write", "PUT", "/configurations", [200], { read_only: value }));
    } catch (e) {
        throw explain(e, "read-only window");
    }
}
