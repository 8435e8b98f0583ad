/**
 * The backup taken before Harbor's schema changes: PostgreSQL `pg_dump -Fc` (restorable with
 * pg_restore), or for the 1.x profiles `mysqldump --single-transaction`, run on the machine
 * running Pulumi as the Harbor user. The password reaches the tool through its environment
 * (PGPASSWORD) or a 0600 option file (MySQL), never its command line. The dump is written under a
 * temporary name and renamed only when the tool succeeded, so a failed dump never leaves a file
 * that looks like a backup.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeServer } from "../database/connection";
import { fileSha256 } from "../database/dump-import";
import { redact } from "../database/failure";
import type { DbServer, DbTarget } from "../database/types";
import { oneLineError } from "../one-line-error";

export interface DumpRequest {
    server: DbServer;
    target: DbTarget;
    password: string;
    /** Absolute directory; created (0700) when missing. */
    directory: string;
    /** File name without directory; the engine's extension is added. */
    baseName: string;
}

export interface DumpResult {
    path: string;
    sha256: string;
    bytes: number;
}

const DUMP_TIMEOUT_MS = 6 * 60 * 60 * 1000;

export async function dumpDatabase(r: DumpRequest): Promise<DumpResult> {
    const pg = r.server.engine === "postgresql";
    const file = path.join(r.directory, `${r.baseName}.${pg ? "dump" : "sql"}`);
    const partial = `${file}.partial`;
    const where = `backup of ${describeServer(r.server)}/${r.target.database} to ${file}`;
    fs.mkdirSync(r.directory, { recursive: true, mode: 0o700 });
    let optionDir: string | undefined;
    try {
        let cmd: string;
        let args: string[];
        const env: NodeJS.ProcessEnv = { ...process.env };
        if (pg) {
            cmd = "pg_dump";
            args = ["-Fc", "--no-password", "-f", partial];
            Object.assign(env, {
                PGHOST: r.server.host, PGPORT: String(r.server.port), PGUSER: r.target.user, PGDATABASE: r.target.database,
                PGPASSWORD: r.password, PGSSLMODE: r.server.sslmode, PGCONNECT_TIMEOUT: String(r.server.connectTimeoutSeconds || 10),
                PGAPPNAME: "harbor-ha-backup",
            });
        } else {
            optionDir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-dump-"));
            const options = path.join(optionDir, "client.cnf");
            // An option file, not MYSQL_PWD: the environment of a process is readable by its user in /proc.
            const quoted = r.password.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
            fs.writeFileSync(options, `[client]\npassword="${quoted}"\n`, { mode: 0o600 });
            cmd = "mysqldump";
            args = [
                `--defaults-extra-file=${options}`, `--host=${r.server.host}`, `--port=${r.server.port}`, `--user=${r.target.user}`,
                "--single-transaction", "--routines", "--triggers", "--default-character-set=utf8", `--result-file=${partial}`, r.target.database,
            ];
        }
        await run(cmd, args, env, where, r.password);
        fs.renameSync(partial, file);
    } catch (e) {
        fs.rmSync(partial, { force: true });
        throw e;
    } finally {
        if (optionDir) fs.rmSync(optionDir, { recursive: true, force: true });
    }
    return { path: file, sha256: await fileSha256(file), bytes: fs.statSync(file).size };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, where: string, password: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"], timeout: DUMP_TIMEOUT_MS });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        child.on("error", (e: NodeJS.ErrnoException) =>
            reject(oneLineError(`${where}: ${e.code === "ENOENT" ? `${cmd} is not installed on the machine running Pulumi` : e.message}`)),
        );
        child.on("close", (code, signal) => {
            if (code === 0) return resolve();
            const last = redact(stderr, [password]).trim().split("\n").slice(-3).join(" / ");
            reject(oneLineError(`${where}: ${cmd} failed (${signal ? `killed by ${signal}` : `exit ${code}`})${last ? `: ${last}` : ""}`));
        });
    });
}
