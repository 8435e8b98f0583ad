/**
 * Test fixture (not program code): a stand-in for Harbor core's read-only switch, for the tests
 * of the upgrade's read-only window. No Harbor runs on this machine, and no answer of a real
 * Harbor to these calls was captured; each answer below is what Harbor v2.15.2's code sends,
 * read there (not from what harbor-ha expects):
 * - GET /api/v2.0/internalconfig, solution user: 200, a map of {"value", "editable"} per key
 *   (src/server/v2.0/handler/config.go GetInternalconfig; api/v2.0/swagger.yaml
 *   InternalConfigurationsResponse);
 * - PUT /api/v2.0/configurations: 200 with an empty body (NewUpdateConfigurationsOK);
 * - a request whose `Authorization: Harbor-Secret <s>` is not the jobservice secret has no
 *   security context: 401 {"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}
 *   (src/server/v2.0/handler/base.go RequireSystemAccess, src/lib/errors);
 * - while read_only is on, a write to any other path: 403 {"errors":[{"code":"DENIED",
 *   "message":"The system is in read only mode. Any modification is prohibited."}]}
 *   (src/server/middleware/readonly/readonly.go; DENIED -> 403 in src/lib/http/error.go).
 * With `release: "v2.2.0"` it answers as that release does instead: 404 on
 * /api/v2.0/internalconfig (the route arrived in v2.3.0) and GET /api/internal/configurations
 * with the raw values, {"read_only": <bool>, …} (src/core/api/config.go GetInternalConfig).
 * It records every switch it was asked for, in order. `GET /standin/read-only` (test-only, no
 * auth) tells the lab's node stand-ins whether to refuse writes.
 */
import * as http from "http";
import type { AddressInfo } from "net";

export interface ConfigStandin {
    address: string;
    readOnly: boolean;
    /** read_only values PUT, in order. */
    switches: boolean[];
    close(): Promise<void>;
}

const json = (res: http.ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { "Content-Type": "application/json" });
    res.end(body === undefined ? "" : JSON.stringify(body));
};

export async function startConfigStandin(jobserviceSecret: string, readOnly = false, host = "127.0.0.1", release: "v2.15.2" | "v2.2.0" = "v2.15.2"): Promise<ConfigStandin> {
    const state: ConfigStandin = { address: "", readOnly, switches: [], close: async () => undefined };
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            const solutionUser = req.headers.authorization === `Harbor-Secret ${jobserviceSecret}`;
            if (req.url === "/standin/read-only") return json(res, 200, { read_only: state.readOnly });
            if (release === "v2.2.0" && req.url === "/api/internal/configurations" && req.method === "GET") {
                if (!solutionUser) return json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "UnAuthorized" }] });
                return json(res, 200, { read_only: state.readOnly, auth_mode: "db_auth" });
            }
            if (release === "v2.15.2" && req.url === "/api/v2.0/internalconfig" && req.method === "GET") {
                if (!solutionUser) return json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "unauthorized" }] });
                return json(res, 200, { read_only: { value: state.readOnly, editable: true }, auth_mode: { value: "db_auth", editable: true } });
            }
            if (req.url === "/api/v2.0/configurations" && req.method === "PUT") {
                if (!solutionUser) return json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "unauthorized" }] });
                const v = (JSON.parse(body) as { read_only?: boolean }).read_only;
                if (typeof v === "boolean") {
                    state.readOnly = v;
                    state.switches.push(v);
                }
                return json(res, 200);
            }
            if (state.readOnly && !["GET", "HEAD", "OPTIONS"].includes(req.method ?? ""))
                return json(res, 403, { errors: [{ code: "DENIED", message: "The system is in read only mode. Any modification is prohibited." }] });
            return json(res, 404, { errors: [{ code: "NOT_FOUND", message: "not found" }] });
        });
    });
    await new Promise<void>((r) => server.listen(0, host, r));
    state.address = `${host}:${(server.address() as AddressInfo).port}`;
    state.close = () => new Promise((r) => server.close(() => r()));
    return state;
}
