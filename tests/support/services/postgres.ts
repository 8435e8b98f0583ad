/**
 * A throwaway PostgreSQL server from Debian's postgresql package: initdb into a scratch
 * directory, listen on 127.0.0.1 at a random port, scram-sha-256 password auth for everyone.
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { freePort } from "./network";
import { accountIds, isRoot, removeScratchDir, runToCompletion, scratchDir, startProcess, waitFor } from "./processes";
import type { DbServer } from "../../../components/database/types";

export interface PostgresInstance {
    server: DbServer;
    adminUser: string;
    adminPassword: string;
    /** Directory of the Debian client tools (psql, pg_dump) matching the server. */
    binDir: string;
    stop(): Promise<void>;
}

/** Highest installed major under /usr/lib/postgresql (Debian layout). */
export function postgresBinDir(): string {
    const root = "/usr/lib/postgresql";
    const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, "bin", "postgres"))) : [];
    if (majors.length === 0) throw new Error("PostgreSQL server not installed; run scripts/ci/install-services.sh");
    majors.sort((a, b) => Number(b) - Number(a));
    return path.join(root, majors[0], "bin");
}

export async function startPostgres(): Promise<PostgresInstance> {
    const bin = postgresBinDir();
    const runAs = isRoot() ? "postgres" : undefined;
    const dir = scratchDir("pg", runAs);
    const dataDir = path.join(dir, "data");
    const adminUser = "hha_admin";
    const adminPassword = crypto.randomBytes(18).toString("base64url");
    const pwFile = path.join(dir, "pwfile");
    fs.writeFileSync(pwFile, adminPassword + "\n", { mode: 0o600 });
    if (runAs) {
        const { uid, gid } = accountIds(runAs);
        fs.chownSync(pwFile, uid, gid);
    }

    await runToCompletion(
        path.join(bin, "initdb"),
        ["-D", dataDir, "-U", adminUser, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
        runAs,
    );
    fs.rmSync(pwFile);
    const port = await freePort();
    const proc = startProcess(
        "postgres",
        path.join(bin, "postgres"),
        ["-D", dataDir, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=60"],
        { logDir: dir, stopSignal: "SIGINT", runAs },
    );
    const server: DbServer = { engine: "postgresql", host: "127.0.0.1", port, sslmode: "disable", connectTimeoutSeconds: 5 };
    await waitFor(
        "postgres",
        async () => {
            const { Client } = await import("pg");
            const c = new Client({ host: "127.0.0.1", port, user: adminUser, password: adminPassword, database: "postgres" });
            c.on("error", () => undefined);
            await c.connect();
            await c.end();
        },
        30_000,
        proc.logFile,
    );
    return {
        server,
        adminUser,
        adminPassword,
        binDir: bin,
        async stop() {
            await proc.stop();
            removeScratchDir(dir);
        },
    };
}
