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

export interface PostgresOptions {
    /**
     * Serve TLS with a throwaway self-signed certificate and accept TCP logins ONLY over TLS
     * (pg_hba `hostssl`), like a managed database that requires encryption.
     */
    requireTls?: boolean;
    /**
     * Also listen on this address and accept password logins from this CIDR (the lab's nodes),
     * with room for several Harbor instances' pools (core + jobservice per node).
     */
    listen?: { address: string; allowFrom: string };
    /** Drop initdb's TCP entries (127.0.0.1/32, ::1/128): a server that does not allow this host. */
    noLocalTcpEntries?: boolean;
}

/** Self-signed key + certificate for 127.0.0.1 (PostgreSQL wants the key 0600, owned by itself). */
async function makeServerCert(dir: string, runAs: string | undefined): Promise<string[]> {
    const key = path.join(dir, "server.key");
    const crt = path.join(dir, "server.crt");
    await runToCompletion("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", crt]);
    fs.chmodSync(key, 0o600);
    if (runAs) {
        const { uid, gid } = accountIds(runAs);
        fs.chownSync(key, uid, gid);
        fs.chownSync(crt, uid, gid);
    }
    return ["-c", "ssl=on", "-c", `ssl_cert_file=${crt}`, "-c", `ssl_key_file=${key}`];
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresInstance> {
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
    let tlsArgs: string[] = [];
    if (options.requireTls) {
        tlsArgs = await makeServerCert(dir, runAs);
        // initdb wrote `host all all 127.0.0.1/32 scram-sha-256`; make TCP logins TLS-only.
        const hba = path.join(dataDir, "pg_hba.conf");
        fs.writeFileSync(hba, fs.readFileSync(hba, "utf8").replace(/^host(\s)/gm, "hostssl$1"));
    }
    if (options.noLocalTcpEntries) {
        const hba = path.join(dataDir, "pg_hba.conf");
        fs.writeFileSync(hba, fs.readFileSync(hba, "utf8").replace(/^host(ssl)?\s.*$/gm, ""));
    }
    if (options.listen) {
        fs.appendFileSync(path.join(dataDir, "pg_hba.conf"), `host all all ${options.listen.allowFrom} scram-sha-256\n`);
    }
    const listenAddresses = ["127.0.0.1", ...(options.listen ? [options.listen.address] : [])].join(",");
    const port = await freePort();
    const proc = startProcess(
        "postgres",
        path.join(bin, "postgres"),
        ["-D", dataDir, "-p", String(port), "-k", dir, "-c", `listen_addresses=${listenAddresses}`, "-c", "fsync=off", "-c", `max_connections=${options.listen ? 300 : 60}`, ...tlsArgs],
        { logDir: dir, stopSignal: "SIGINT", runAs },
    );
    const server: DbServer = { engine: "postgresql", host: "127.0.0.1", port, sslmode: options.requireTls ? "require" : "disable", connectTimeoutSeconds: 5 };
    await waitFor(
        "postgres",
        async () => {
            const { Client } = await import("pg");
            const ssl = options.requireTls ? { rejectUnauthorized: false } : undefined;
            // Over the unix socket when the server allows no local TCP login.
            const c = new Client({ host: options.noLocalTcpEntries ? dir : "127.0.0.1", port, user: adminUser, password: adminPassword, database: "postgres", ssl });
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
