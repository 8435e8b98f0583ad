/**
 * PostgreSQL SCRAM-SHA-256 password verifiers, computed on our side (RFC 5802 / RFC 7677, the
 * format PostgreSQL stores in pg_authid). Sending the verifier instead of the password keeps the
 * plaintext out of server logs (log_statement, pg_stat_statements) and off the admin connection.
 */
import * as crypto from "crypto";

const ITERATIONS = 4096;

/**
 * PostgreSQL runs the password through SASLprep before hashing. For printable ASCII that is the
 * identity, so only such passwords are pre-hashed; others are sent as an escaped literal and the
 * server hashes them itself.
 */
export function canPrehash(password: string): boolean {
    return /^[\x20-\x7e]*$/.test(password);
}

/** `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>` for the password. */
export function scramVerifier(password: string, salt: Buffer = crypto.randomBytes(16)): string {
    const salted = crypto.pbkdf2Sync(Buffer.from(password, "utf8"), salt, ITERATIONS, 32, "sha256");
    const clientKey = crypto.createHmac("sha256", salted).update("Client Key").digest();
    const storedKey = crypto.createHash("sha256").update(clientKey).digest();
    const serverKey = crypto.createHmac("sha256", salted).update("Server Key").digest();
    return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * MySQL's mysql_native_password hash: "*" + upper hex of SHA1(SHA1(password)). Harbor 1.x's Go
 * MySQL driver predates caching_sha2_password, so the Harbor user is pinned to this plugin.
 */
export function mysqlNativeHash(password: string): string {
    const inner = crypto.createHash("sha1").update(Buffer.from(password, "utf8")).digest();
    return "*" + crypto.createHash("sha1").update(inner).digest("hex").toUpperCase();
}
