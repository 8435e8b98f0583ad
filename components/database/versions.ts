/**
 * Minimum database server versions per Harbor generation, and version comparison.
 *
 * Harbor 2.x: PostgreSQL only. The Harbor docs require "PostgreSQL >= 12" for external
 * databases in current releases; older majors are out of upstream support anyway.
 * Harbor 1.5: the HA guide ran MariaDB 10.2.10; the 1.x harbor-db image was MySQL 5.6.35 in
 * 1.1 and MariaDB 10.2 in 1.5 (harbor-facts §2). Anything older is out of upstream support.
 */

/** The lowest server version accepted, per server flavour. */
export interface DbVersionFloor {
    postgresql: string;
    mariadb: string;
    mysql: string;
}

export const HARBOR_V2_DB_FLOOR: DbVersionFloor = { postgresql: "12", mariadb: "10.2", mysql: "5.6" };
export const HARBOR_V1_DB_FLOOR: DbVersionFloor = { postgresql: "9.6", mariadb: "10.2", mysql: "5.6" };

/** Floor for a Harbor release line ("v1" = 1.5.x MySQL era, "v2" = 2.x PostgreSQL era). */
export function dbVersionFloorFor(profile: "v1" | "v2"): DbVersionFloor {
    return profile === "v1" ? HARBOR_V1_DB_FLOOR : HARBOR_V2_DB_FLOOR;
}

/** Leading numeric parts of a version string: "15.18 (Debian 15.18-0+deb12u1)" -> [15, 18]. */
export function versionParts(version: string): number[] {
    const m = /^\s*(\d+(?:\.\d+)*)/.exec(version);
    if (!m) return [];
    return m[1].split(".").map((p) => Number(p));
}

/** -1, 0, 1 like a comparator; missing trailing parts count as 0. */
export function compareVersions(a: string, b: string): number {
    const pa = versionParts(a);
    const pb = versionParts(b);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const x = pa[i] ?? 0;
        const y = pb[i] ?? 0;
        if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
}

/** MySQL-protocol servers report "10.11.6-MariaDB-0+deb12u1" or "8.0.36"; tell them apart. */
export function mysqlFlavour(version: string): "mariadb" | "mysql" {
    return /mariadb/i.test(version) ? "mariadb" : "mysql";
}
