/**
 * Harbor's database and login. Harbor 2.x builds its PostgreSQL connection string unquoted
 * (src/common/dao/pgsql.go: "host=%s port=%s user=%s password=%s dbname=%s ..."), so a space,
 * quote or backslash in any of them breaks the login after the readiness check has passed.
 */
import { profileForVersion } from "../../profiles";
import { adminUserOf } from "../defaults";
import { CheckContext, isSet, problem } from "./context";

/** Unquoted PostgreSQL identifier (lower case: the server folds unquoted names), 63 bytes. */
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** MySQL/MariaDB names the 1.x profile writes unquoted: database 64, user 32 characters. */
const MYSQL_DATABASE = /^[A-Za-z0-9_]{1,64}$/;
const MYSQL_USER = /^[A-Za-z0-9_]{1,32}$/;
const RESERVED_DATABASES: Record<string, string[]> = {
    postgresql: ["postgres", "template0", "template1"],
    mysql: ["mysql", "information_schema", "performance_schema", "sys"],
};
/** Characters Harbor's keyword=value connection string cannot carry in a value. */
const UNQUOTABLE = /[\s'"\\]/;

export function checkDatabase(c: CheckContext): void {
    const db = c.p.database;
    const pg = db.engine === "postgresql";
    const profile = profileForVersion(c.p.harbor.version)!;
    if (db.engine !== profile.databaseEngine)
        problem(c, "database.engine", profile.databaseEngine === "postgresql"
            ? `Harbor ${c.p.harbor.version} stores its data in PostgreSQL only (since v1.6.0); set database.engine: postgresql ("mysql" is for the Harbor 1.x profiles, harbor.version v1.5.x or v1.1.x)`
            : `Harbor ${c.p.harbor.version} stores its data in MySQL/MariaDB only (PostgreSQL arrived in v1.6.0); set database.engine: mysql, or harbor.version to a 2.x release for PostgreSQL`);
    const dev = c.p.devServices.enabled;
    if (db.provision.enabled && !dev && !isSet(c, "databaseAdminPassword"))
        problem(c, "databaseAdminPassword", "missing; database.provision.enabled needs it: `pulumi config set --secret databaseAdminPassword <pw>`");
    if (!db.provision.enabled && !dev && !isSet(c, "databasePassword"))
        problem(c, "databasePassword", "missing; set Harbor's DB password with `pulumi config set --secret databasePassword <pw>`, or enable database.provision");
    if (db.import && !db.provision.enabled) problem(c, "database.import", "needs database.provision.enabled: true (the import runs with the admin login)");
    if (pg ? !PG_IDENTIFIER.test(db.name) : !MYSQL_DATABASE.test(db.name))
        problem(c, "database.name", pg ? "must be a lower-case PostgreSQL name: a-z, 0-9 and _, starting with a letter or _, at most 63 characters (Harbor does not quote it)" : "must use only A-Z, a-z, 0-9 and _ (at most 64 characters)");
    if (pg ? !PG_IDENTIFIER.test(db.user) : !MYSQL_USER.test(db.user))
        problem(c, "database.user", pg ? "must be a lower-case PostgreSQL role name: a-z, 0-9 and _, starting with a letter or _, at most 63 characters (Harbor does not quote it)" : "must use only A-Z, a-z, 0-9 and _ (at most 32 characters)");
    if (RESERVED_DATABASES[db.engine].includes(db.name))
        problem(c, "database.name", `"${db.name}" is a system database of ${db.engine}; Harbor needs a database of its own, e.g. registry`);

    const pv = db.provision;
    if (pv.enabled) {
        if (db.user === adminUserOf(db))
            problem(c, "database.user", `equals database.provision.adminUser; provisioning would reset the admin's password and Harbor would run as the admin: use a separate user, e.g. harbor`);
        if (!profile.createsSchema && !db.import)
            problem(c, "database.import", `missing; Harbor ${c.p.harbor.version} does not create its own tables (its bundled database image loaded them): set database.import.path to the release's registry.sql (harbor/ha/registry.sql in the 1.5 offline installer; make/common/db/registry.sql in 1.1's source) for a new registry, or to a mysqldump of the single-node Harbor you move`);
        const adminDb = pv.adminDatabase ?? (pg ? "postgres" : "mysql");
        if (db.name === adminDb)
            problem(c, "database.name", `equals the admin database (${adminDb}); Harbor would take it over and dropOnDestroy would drop it: use a database of its own, e.g. registry`);
        if (isSet(c, "databasePassword"))
            problem(c, "databasePassword", "is ignored while database.provision.enabled is true (the program generates Harbor's password); remove it: `pulumi config rm databasePassword`");
    } else {
        if (isSet(c, "databaseAdminPassword"))
            problem(c, "databaseAdminPassword", "is only used with database.provision.enabled: true; remove it (`pulumi config rm databaseAdminPassword`) or enable provisioning");
        const pw = c.raw.values[`${c.project}:databasePassword`];
        if (pw !== undefined && pw.length === 0) problem(c, "databasePassword", "is empty; set Harbor's database password");
        else if (pw !== undefined && UNQUOTABLE.test(pw))
            problem(c, "databasePassword", "contains a space, quote or backslash, which Harbor's connection string does not quote (core cannot log in); choose a password without them, or let database.provision generate one");
    }
}
