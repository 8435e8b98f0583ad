/**
 * The registry credential's htpasswd line. distribution's registry checks this bcrypt hash on
 * every request core makes with the credential, so the cost matters: measured with Debian's
 * docker-registry 2.8.2 (`npm run bench:bcrypt`, 2 CPUs), cost 10 (random's bcryptHash, Go's
 * default) took ~56 ms of registry CPU per request, cost 5 (what Harbor's installer writes with
 * `htpasswd -B`) ~3 ms. The password is 32 random characters, so cost 5 gives up nothing an
 * attacker could use.
 *
 * The salt is derived from the password (HMAC), so the line is the same on every evaluation: a
 * random salt would change the file, and restart every registry, on every `pulumi up`.
 */
import * as bcrypt from "bcryptjs";
import { createHmac } from "crypto";

export const REGISTRY_BCRYPT_COST = 5;

export function registryHtpasswdLine(user: string, password: string): string {
    const saltBytes = createHmac("sha256", password).update("harbor-ha registry htpasswd salt").digest().subarray(0, 16);
    const salt = `$2b$${String(REGISTRY_BCRYPT_COST).padStart(2, "0")}$${bcrypt.encodeBase64(saltBytes, 16)}`;
    return `${user}:${bcrypt.hashSync(password, salt)}`;
}
