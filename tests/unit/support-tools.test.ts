/** L0: a missing tool is reported in one line with its installer, not as ENOENT or exit 127. */
import * as assert from "assert";
import { tool } from "../support/tools";
import { startProcess } from "../support/services/processes";

describe("L0 test support: missing tools are explained", () => {
    it("names the tool and the command that installs it", () => {
        assert.throws(() => tool("no-such-tool-harbor-ha", "services"), (e: Error) => e.message === "no-such-tool-harbor-ha is not installed; run `bash scripts/ci/install-services.sh` (the README's test command does this itself)" && e.stack === e.message);
        assert.ok(tool("sh", "tools").endsWith("/sh"));
    });

    it("a service that is not installed fails to start with that line, before anything is spawned", () => {
        assert.throws(() => startProcess("x", "no-such-server-harbor-ha", [], { logDir: "/nonexistent" }), /no-such-server-harbor-ha is not installed; run `bash scripts\/ci\/install-services\.sh`/);
    });
});
