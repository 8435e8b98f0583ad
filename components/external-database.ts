/**
 * ExternalDatabase: Harbor's database on an external PostgreSQL (Harbor 2.x) or MySQL/MariaDB
 * (Harbor 1.x) server, provisioned with least privilege and proven usable before Harbor starts.
 *
 * Children (dynamic resources, so no `provider` option):
 *   `${name}-db`       HarborDatabase: database, Harbor user, grants      (provision: true only)
 *   `${name}-import`   DatabaseDumpImport: a single-node Harbor's dump      (importDump only)
 *   `${name}-ready`    DatabaseReadiness: login as the Harbor user, version floor, CREATE right
 *   `${name}-admin-password` InitialAdminPassword: the admin password Harbor applies at start
 *
 * Harbor's containers should `dependsOn: [db.readiness]` (or use `db.ready`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { DbServer, DbTarget } from "./database/types";
import { HarborDatabase } from "./database/harbor-database";
import { DatabaseDumpImport } from "./database/database-dump-import";
import { DatabaseReadiness } from "./database/database-readiness";
import { InitialAdminPassword } from "./database/initial-admin-password";
import { DbVersionFloor, dbVersionFloorFor } from "./database/versions";

export interface ExternalDatabaseAdmin {
    /** Login allowed to create databases and users (PostgreSQL: CREATEDB + CREATEROLE). */
    user: pulumi.Input<string>;
    /** Its password (a config secret). */
    password: pulumi.Input<string>;
    /** Database it logs into; PostgreSQL default "postgres", unused for MySQL. */
    database?: pulumi.Input<string>;
}

export interface ExternalDatabaseArgs {
    /** Where the server is; engine decides PostgreSQL vs MySQL/MariaDB. */
    server: pulumi.Input<DbServer>;
    /** Harbor's database and login name. */
    target: pulumi.Input<DbTarget>;
    /**
     * The Harbor user's password (secret). With provision: generate it with @pulumi/random.
     * Without: the password of the existing Harbor user.
     */
    harborPassword: pulumi.Input<string>;
    /**
     * true (default): create the database, user and grants with `admin`.
     * false: the database and user exist already; only readiness is checked (no admin needed).
     */
    provision?: boolean;
    /** Required when provision is true. */
    admin?: ExternalDatabaseAdmin;
    /** Drop Harbor's database and user on destroy. Default false: data is never dropped implicitly. */
    dropOnDestroy?: pulumi.Input<boolean>;
    /** Load a single-node Harbor's dump once (see database/dump-import.ts for the accepted formats). */
    importDump?: { path: pulumi.Input<string>; force?: pulumi.Input<boolean> };
    /** Harbor release line, for the server version floor. Default "v2". */
    profile?: "v1" | "v2";
    /** Override the version floor (default from profile). */
    versionFloor?: pulumi.Input<DbVersionFloor>;
    /**
     * Harbor's initial admin password (secret): re-armed in a database Harbor already set up, on
     * create and on change (database/initial-admin-password.ts). Omit to leave the admin alone.
     */
    initialAdminPassword?: pulumi.Input<string>;
}

export class ExternalDatabase extends pulumi.ComponentResource {
    public readonly engine: pulumi.Output<DbServer["engine"]>;
    public readonly host: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly sslmode: pulumi.Output<DbServer["sslmode"]>;
    public readonly database: pulumi.Output<string>;
    public readonly user: pulumi.Output<string>;
    /** The Harbor user's password (secret). */
    public readonly password: pulumi.Output<string>;
    /** Server version as checked; resolves only after readiness passed. */
    public readonly ready: pulumi.Output<string>;
    /** The readiness resource, for `dependsOn`. */
    public readonly readiness: DatabaseReadiness;
    /** Present when provision is true. */
    public readonly harborDatabase?: HarborDatabase;
    /** Present when importDump is set. */
    public readonly dumpImport?: DatabaseDumpImport;
    /** Present when initialAdminPassword is set; Harbor's cores must start after it. */
    public readonly initialAdminPassword?: InitialAdminPassword;

    constructor(name: string, args: ExternalDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:db:ExternalDatabase", name, {}, opts);
        const provision = args.provision ?? true;
        if (provision && !args.admin) {
            throw new Error(`ExternalDatabase ${name}: provision is on but no admin credentials were given (admin.user, admin.password); set provision: false to use an existing database`);
        }
        const password = pulumi.secret(args.harborPassword);
        const floor = args.versionFloor ?? dbVersionFloorFor(args.profile ?? "v2");
        const waitFor: pulumi.Resource[] = [];

        if (provision) {
            this.harborDatabase = new HarborDatabase(
                `${name}-db`,
                {
                    server: args.server,
                    adminUser: args.admin!.user,
                    adminPassword: pulumi.secret(args.admin!.password),
                    adminDatabase: args.admin!.database,
                    target: args.target,
                    harborPassword: password,
                    dropOnDestroy: args.dropOnDestroy ?? false,
                },
                { parent: this },
            );
            waitFor.push(this.harborDatabase);
        }
        if (args.importDump) {
            this.dumpImport = new DatabaseDumpImport(
                `${name}-import`,
                { server: args.server, target: args.target, harborPassword: password, path: args.importDump.path, force: args.importDump.force },
                { parent: this, dependsOn: [...waitFor] },
            );
            waitFor.push(this.dumpImport);
        }
        this.readiness = new DatabaseReadiness(
            `${name}-ready`,
            { server: args.server, target: args.target, harborPassword: password, floor, after: this.dumpImport?.sha256 },
            { parent: this, dependsOn: waitFor },
        );

        if (args.initialAdminPassword !== undefined) {
            this.initialAdminPassword = new InitialAdminPassword(
                `${name}-admin-password`,
                { server: args.server, target: args.target, harborPassword: password, adminPassword: pulumi.secret(args.initialAdminPassword) },
                { parent: this, dependsOn: [this.readiness] },
            );
        }

        const server = pulumi.output(args.server);
        const target = pulumi.output(args.target);
        this.engine = server.engine;
        this.host = server.host;
        this.port = server.port;
        this.sslmode = server.sslmode;
        this.database = target.database;
        this.user = target.user;
        this.password = password;
        this.ready = this.readiness.serverVersion;
        this.registerOutputs({
            engine: this.engine,
            host: this.host,
            port: this.port,
            database: this.database,
            user: this.user,
            password: this.password,
            ready: this.ready,
        });
    }
}
