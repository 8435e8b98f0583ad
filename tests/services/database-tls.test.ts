/**
 * TLS on a real PostgreSQL: a server that accepts TCP logins only over TLS (pg_hba hostssl,
 * self-signed certificate) and a server without TLS, against each sslmode.
 */
import * as assert from "assert";
import { ensureDatabase } from "../../components/database/provision";
import { checkDatabaseReady } from "../../components/database/readiness";
import { dbVersionFloorFor } from "../../components/database/versions";
import { adminOf, assertOneLine, freshTarget, timedFailure, TRICKY_PASSWORD } from "../support/services/database-cases";
import { PostgresInstance, startPostgres } from "../support/services/postgres";

describe("database TLS modes on real PostgreSQL", function () {
    this.timeout(120_000);
    let tls: PostgresInstance;
    let plain: PostgresInstance;
    const floor = dbVersionFloorFor("v2");

    before(async () => {
        [tls, plain] = await Promise.all([startPostgres({ requireTls: true }), startPostgres()]);
    });
    after(async () => {
        await Promise.all([tls?.stop(), plain?.stop()]);
    });

    it("TLS-only server: provisioning and readiness work with sslmode=require", async () => {
        const target = freshTarget("tls");
        await ensureDatabase(adminOf(tls), target, TRICKY_PASSWORD);
        const ready = await checkDatabaseReady(tls.server, target, TRICKY_PASSWORD, floor);
        assert.match(ready.serverVersion, /^\d+/);
    });

    it("TLS-only server, sslmode=disable: 'TLS required', one line", async () => {
        const target = freshTarget("tls");
        await ensureDatabase(adminOf(tls), target, TRICKY_PASSWORD);
        const { ms, error } = await timedFailure(() => checkDatabaseReady({ ...tls.server, sslmode: "disable" }, target, TRICKY_PASSWORD, floor));
        console.log(`      [PostgreSQL] TLS-only server with sslmode=disable -> ${ms} ms: ${error.message}`);
        assertOneLine(error, `postgresql 127.0.0.1:${tls.server.port}`, "TLS required", [TRICKY_PASSWORD]);
    });

    it("self-signed certificate, sslmode=verify-full: 'TLS verification failed'", async () => {
        const target = freshTarget("tls");
        await ensureDatabase(adminOf(tls), target, TRICKY_PASSWORD);
        const { error } = await timedFailure(() => checkDatabaseReady({ ...tls.server, sslmode: "verify-full" }, target, TRICKY_PASSWORD, floor));
        console.log(`      [PostgreSQL] self-signed with verify-full -> ${error.message}`);
        assertOneLine(error, `postgresql 127.0.0.1:${tls.server.port}`, "TLS verification failed", [TRICKY_PASSWORD]);
    });

    it("no pg_hba entry for this host (plain connection): 'access denied', not 'TLS required'", async () => {
        // PostgreSQL ends every such message with "no encryption"; the first lab run of the e2e
        // suite was told "TLS required" by a server that simply did not allow the host.
        const target = freshTarget("tls");
        const other = await startPostgres({ noLocalTcpEntries: true });
        try {
            const { error } = await timedFailure(() => checkDatabaseReady(other.server, target, TRICKY_PASSWORD, floor));
            console.log(`      [PostgreSQL] host not in pg_hba -> ${error.message}`);
            assertOneLine(error, `postgresql 127.0.0.1:${other.server.port}`, "access denied", [TRICKY_PASSWORD]);
            assert.match(error.message, /pg_hba\.conf has no entry/);
        } finally {
            await other.stop();
        }
    });

    it("server without TLS, sslmode=require: 'TLS not available'", async () => {
        const target = freshTarget("tls");
        await ensureDatabase(adminOf(plain), target, TRICKY_PASSWORD);
        const { error } = await timedFailure(() => checkDatabaseReady({ ...plain.server, sslmode: "require" }, target, TRICKY_PASSWORD, floor));
        console.log(`      [PostgreSQL] plain server with sslmode=require -> ${error.message}`);
        assertOneLine(error, `postgresql 127.0.0.1:${plain.server.port}`, "TLS not available", [TRICKY_PASSWORD]);
    });
});
