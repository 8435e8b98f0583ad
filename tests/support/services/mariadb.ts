/**
 * A throwaway MariaDB server from Debian's mariadb-server package: mariadb-install-db into a
 * scratch directory, TCP on 127.0.0.1 at a random port, no name resolution. An admin account
 * with a password is created through the root unix socket (the only way in after install).
 * As root, mariadbd drops to the `mysql` system user itself (--user=mysql).
 */
import * as crypto from "crypto";
import * as path from "path";
import { freePort } from "./network";
import { isRoot, removeScratchDir, runToCompletion, scratchDir, startProcess, waitFor } from "./processes";
import type { DbServer } from "../../../components/database/types";

export interface MariadbInstance {
    server: DbServer;
    adminUser: string;
    adminPassword: string;
    stop(): Promise<void>;
}

export async function startMariadb(): Promise<MariadbInstance> {
    const runAs = isRoot() ? "mysql" : undefined;
    const dir = scratchDir("mariadb", runAs);
    const dataDir = path.join(dir, "data");
    const socket = path.join(dir, "mysqld.sock");
    const userArgs = runAs ? [`--user=${runAs}`] : [];
    await runToCompletion("mariadb-install-db", [
        "--no-defaults",
        `--datadir=${dataDir}`,
        ...userArgs,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--skip-name-resolve",
    ]);
    const port = await freePort();
    const proc = startProcess(
        "mariadbd",
        "mariadbd",
        [
            "--no-defaults",
            `--datadir=${dataDir}`,
            ...userArgs,
            `--port=${port}`,
            "--bind-address=127.0.0.1",
            `--socket=${socket}`,
            `--pid-file=${path.join(dir, "mariadbd.pid")}`,
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=16M",
            "--innodb-log-file-size=8M",
            "--max-connections=60",
        ],
        { logDir: dir, stopSignal: "SIGTERM" },
    );
    const mysql = await import("mysql2/promise");
    const root = await waitFor("mariadbd", () => mysql.createConnection({ socketPath: socket, user: "root" }), 60_000, proc.logFile);
    const adminUser = "hha_admin";
    const adminPassword = crypto.randomBytes(18).toString("base64url");
    try {
        // Anonymous accounts would shadow real users for some client hosts; a test server has none.
        const [anon] = await root.query("SELECT Host FROM mysql.user WHERE User = ''");
        for (const row of anon as Array<{ Host: string }>) await root.query("DROP USER ?@?", ["", row.Host]);
        await root.query("CREATE USER ?@'127.0.0.1' IDENTIFIED BY ?", [adminUser, adminPassword]);
        await root.query("GRANT ALL PRIVILEGES ON *.* TO ?@'127.0.0.1' WITH GRANT OPTION", [adminUser]);
    } finally {
        await root.end();
    }
    const server: DbServer = { engine: "mysql", host: "127.0.0.1", port, sslmode: "disable", connectTimeoutSeconds: 5 };
    return {
        server,
        adminUser,
        adminPassword,
        async stop() {
            await proc.stop();
            removeScratchDir(dir);
        },
    };
}
