/**
 * L3: InitialAdminPassword against real PostgreSQL and MariaDB (Debian packages): on a database
 * Harbor already initialised, the admin's salt and hash are emptied so the next core start
 * applies HARBOR_ADMIN_PASSWORD (Harbor's rule: `updateInitPassword` only when the salt is
 * empty); a fresh database is left alone; only a changed password re-arms it.
 *
 * The user table here has the columns Harbor's code reads for that rule (user_id, username,
 * password, salt); it stands in for Harbor's schema, which core creates at its first start.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import type { DbTarget } from "../../components/database/types";
import { ensureDatabase } from "../../components/database/provision";
import { ADMIN_USER_ID, initialAdminPasswordProvider, InitialAdminPasswordProps, rearmAdminPassword } from "../../components/database/initial-admin-password";
import { adminOf, EngineUnderTest, harborLogin } from "../support/services/database-cases";
import { startMariadb } from "../support/services/mariadb";
import { startPostgres } from "../support/services/postgres";
import { rawQuery } from "../support/services/sql-access";

const digest = (p: string) => crypto.createHash("sha256").update(p).digest("hex");

for (const [label, start, table] of [
    ["PostgreSQL", startPostgres, "harbor_user"],
    ["MariaDB", startMariadb, "`user`"],
] as const) {
    describe(`L3 InitialAdminPassword on real ${label}`, function () {
        this.timeout(120000);
        let e: EngineUnderTest;
        const target: DbTarget = { database: "registry_admin_pw", user: "harbor_admin_pw" };
        const password = "harbor-db-pass";
        const asHarbor = () => harborLogin(target, password);

        before(async () => {
            e = await start();
            await ensureDatabase(adminOf(e), target, password);
        });
        after(async () => e?.stop());

        it("leaves a fresh database (no user table yet) alone: core seeds the admin from the env", async () => {
            assert.strictEqual(await rearmAdminPassword(e.server, target, password), "fresh database");
        });

        it("empties the admin's salt and hash in a database Harbor already set up, and touches no other user", async () => {
            await rawQuery(e.server, asHarbor(), `CREATE TABLE ${table} (user_id INT PRIMARY KEY, username VARCHAR(255), password VARCHAR(40), salt VARCHAR(40))`);
            await rawQuery(e.server, asHarbor(), `INSERT INTO ${table} VALUES (${ADMIN_USER_ID}, 'admin', 'old-admin-hash', 'old-admin-salt'), (2, 'alice', 'alice-hash', 'alice-salt')`);
            assert.strictEqual(await rearmAdminPassword(e.server, target, password), "rearmed");
            const rows = await rawQuery(e.server, asHarbor(), `SELECT user_id, password, salt FROM ${table} ORDER BY user_id`);
            assert.deepStrictEqual(rows.map((r) => [Number(r.user_id), r.password, r.salt]), [
                [1, "", ""],
                [2, "alice-hash", "alice-salt"],
            ]);
        });

        it("re-arms on create and on a new password only, never on an unchanged one (UI changes survive)", async () => {
            const props = (pw: string): InitialAdminPasswordProps => ({ server: e.server, target, harborPassword: password, passwordDigest: digest(pw) });
            await rawQuery(e.server, asHarbor(), `UPDATE ${table} SET password = 'changed-in-ui', salt = 's' WHERE user_id = 1`);
            const unchanged = await initialAdminPasswordProvider.diff!("id", props("one"), props("one"));
            assert.strictEqual(unchanged.changes, false);
            const rotated = await initialAdminPasswordProvider.diff!("id", props("one"), props("two"));
            assert.strictEqual(rotated.changes, true);
            assert.deepStrictEqual(rotated.replaces, []);
            await initialAdminPasswordProvider.update!("id", props("one"), props("two"));
            const [admin] = await rawQuery(e.server, asHarbor(), `SELECT password, salt FROM ${table} WHERE user_id = 1`);
            assert.deepStrictEqual([admin.password, admin.salt], ["", ""]);
        });

        it("fails with one line naming the server, and no password, when the Harbor login is wrong", async () => {
            await assert.rejects(rearmAdminPassword(e.server, target, "wrong-password"), (err: Error) => {
                assert.match(err.message, new RegExp(`${e.server.engine} 127\\.0\\.0\\.1:${e.server.port}: authentication failed`));
                assert.ok(!err.message.includes("wrong-password"));
                assert.ok(!err.message.includes("\n"));
                return true;
            });
        });
    });
}
