/**
 * Test fixture (not program code): a stand-in for Harbor core's read-only switch, for the tests
 * of the upgrade's read-only window where no Harbor core runs (the lab, the engine tests). It
 * replays what a real harbor_core v2.15.2 answered to these calls (tests/support/harbor-core-answers.ts,
 * captured by tests/services/harbor-core-real.test.ts, which re-checks them against the real core):
 * - GET /api/v2.0/internalconfig, solution user: 200, {"<key>": {"editable", "value"}, …}; the real
 *   core lists 70 keys, the stand-in only read_only and auth_mode;
 * - PUT /api/v2.0/configurations: 200 with an empty body;
 * - a `Harbor-Secret` that is not the jobservice secret: 401, with "only internal service is
 *   allowed to call this API" on internalconfig and "unauthorized" on configurations;
 * - while read_only is on, a write to any other path: 403 DENIED "The system is in read only mode…".
 * With `release: "v2.2.0"` it answers as that release does instead, read from its code (not
 * captured): 404 on /api/v2.0/internalconfig (the route arrived in v2.3.0) and GET
 * /api/internal/configurations with the raw values, {"read_only": <bool>, …}
 * (src/core/api/config.go GetInternalConfig).
 * It records every switch it was asked for, in order. `GET /standin/read-only` (test-only, no
 * auth) tells the lab's node stand-ins whether to refuse writes.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { CAPTURED_CORE_ANSWERS as REAL } from "./harbor-core-answers";

export interface ConfigStandin {
    address: string;
    readOnly: boolean;
    /** read_only values PUT, in order. */
    switches: boolean[];
    close(): Promise<void>;
}

const replay = (res: http.ServerResponse, answer: { status: number; body: string }) => {
    res.writeHead(answer.status, answer.body ? { "Content-Type": "application/json" } : {});
    res.end(answer.body);
};

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
                if (!solutionUser) return replay(res, REAL.wrongSecretInternalconfig);
                return json(res, 200, { auth_mode: { editable: true, value: "db_auth" }, read_only: REAL.internalconfigReadOnly(state.readOnly) });
            }
            if (req.url === "/api/v2.0/configurations" && req.method === "PUT") {
                if (!solutionUser) return replay(res, REAL.wrongSecretPut);
                const v = (JSON.parse(body) as { read_only?: boolean }).read_only;
                if (typeof v === "boolean") {
                    state.readOnly = v;
                    state.switches.push(v);
                }
                return replay(res, REAL.putConfigurations);
            }
            if (state.readOnly && !["GET", "HEAD", "OPTIONS"].includes(req.method ?? "")) return replay(res, REAL.readOnlyWrite);
            return json(res, 404, { errors: [{ code: "NOT_FOUND", message: "not found" }] });
        });
    });
    await new Promise<void>((r) => server.listen(0, host, r));
    state.address = `${host}:${(server.address() as AddressInfo).port}`;
    state.close = () => new Promise((r) => server.close(() => r()));
    return state;
}
