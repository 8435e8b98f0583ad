/**
 * L0: the registry credential's htpasswd line (components/registry-htpasswd.ts). The real
 * registry accepting it is checked in tests/tools/real-tools.test.ts.
 */
import * as assert from "assert";
import * as bcrypt from "bcryptjs";
import { registryHtpasswdLine } from "../../components/registry-htpasswd";

describe("L0 registry htpasswd line", () => {
    const pw = "R3gistryPassw0rdWithoutSpecials00";

    it("uses bcrypt cost 5, as Harbor's installer (htpasswd -B) does", () => {
        const [user, hash] = registryHtpasswdLine("harbor_registry_user", pw).split(":");
        assert.strictEqual(user, "harbor_registry_user");
        assert.match(hash, /^\$2b\$05\$[./A-Za-z0-9]{53}$/);
        assert.strictEqual(bcrypt.getRounds(hash), 5);
    });

    it("verifies the password and only it", () => {
        const hash = registryHtpasswdLine("u", pw).slice(2);
        assert.ok(bcrypt.compareSync(pw, hash));
        assert.ok(!bcrypt.compareSync(pw + "x", hash));
    });

    it("is the same on every evaluation (no restart per up) and differs per password", () => {
        assert.strictEqual(registryHtpasswdLine("u", pw), registryHtpasswdLine("u", pw));
        const other = registryHtpasswdLine("u", "AnotherRandomPassword0000000000000");
        assert.notStrictEqual(other.split("$")[3].slice(0, 22), registryHtpasswdLine("u", pw).split("$")[3].slice(0, 22), "salts differ");
    });
});
