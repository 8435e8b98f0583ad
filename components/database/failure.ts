/**
 * One-line failures for the database and Redis checks.
 *
 * A dynamic provider surfaces `error.message` on create/update, but prints `error.stack` on
 * delete/read/check. So the errors made here carry a stack that is the message itself:
 * whichever path Pulumi takes, the user sees one line, never a trace of our internals.
 */

import { oneLineError } from "../one-line-error";

/** Why a service could not be used. Each maps to its own wording so users can tell them apart. */
export type FailureCause =
    | "unreachable"
    | "timeout"
    | "authentication failed"
    | "TLS required"
    | "TLS not available"
    | "TLS verification failed"
    | "database missing"
    | "access denied"
    | "version too old"
    | "sentinel"
    | "dump refused"
    | "error";

/** An Error with a single-line message and no stack frames. `cause` lets tests check the category. */
export interface ServiceFailure extends Error {
    failureCause: FailureCause;
}

/** Builds `<what> <host:port>: <cause>: <detail>` as an Error without stack frames. */
export function serviceFailure(where: string, cause: FailureCause, detail?: string): ServiceFailure {
    return oneLineError(`${where}: ${cause}${detail ? `: ${detail}` : ""}`, { failureCause: cause });
}

/** True when `err` was made by serviceFailure (so callers do not wrap it twice). */
export function isServiceFailure(err: unknown): err is ServiceFailure {
    return err instanceof Error && typeof (err as ServiceFailure).failureCause === "string";
}

/**
 * Removes every occurrence of the given secrets (and their URL-encoded forms) from a text.
 * Driver messages do not normally echo passwords, but we pass some of their text through and
 * would rather be sure.
 */
export function redact(text: string, secrets: Array<string | undefined>): string {
    let out = text;
    for (const s of secrets) {
        if (!s) continue;
        for (const form of new Set([s, encodeURIComponent(s)])) {
            out = out.split(form).join("***");
        }
    }
    return out;
}

/**
 * Runs `work` with a hard deadline. Drivers have their own connect timeouts, but a server that
 * accepts TCP and then never answers can still hang a query; this bounds the whole check.
 * `onTimeout` lets the caller close sockets so nothing keeps the process alive.
 */
export async function withDeadline<T>(
    work: Promise<T>,
    ms: number,
    onTimeout: () => Error,
    cleanup?: () => void,
): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
            try {
                cleanup?.();
            } catch {
                // Cleanup is best effort; the timeout error is what matters.
            }
            reject(onTimeout());
        }, ms);
    });
    try {
        return await Promise.race([work, deadline]);
    } finally {
        if (timer) clearTimeout(timer);
        // The losing promise may reject later; make sure that is not an unhandled rejection.
        work.catch(() => undefined);
    }
}

/** Classifies Node socket-level error codes shared by every driver. */
export function socketCause(code: string | undefined): { cause: FailureCause; detail: string } | undefined {
    switch (code) {
        case "ECONNREFUSED":
            return { cause: "unreachable", detail: "connection refused (nothing listens on that port)" };
        case "EHOSTUNREACH":
        case "ENETUNREACH":
            return { cause: "unreachable", detail: "no route to host" };
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return { cause: "unreachable", detail: "host name does not resolve" };
        case "ECONNRESET":
        case "EPIPE":
            return { cause: "unreachable", detail: "connection reset by the server" };
        case "ETIMEDOUT":
            return { cause: "timeout", detail: "no answer in time" };
        default:
            return undefined;
    }
}
