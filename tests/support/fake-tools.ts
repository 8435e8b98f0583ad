import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A new directory holding do-nothing executables of these names (for checks that look at PATH). */
export function fakeTools(names: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hha-tools-"));
    for (const t of names) fs.writeFileSync(path.join(dir, t), "#!/bin/sh\n", { mode: 0o755 });
    return dir;
}
