/**
 * Cross-field checks of a parsed stack config, grouped by what they protect. Each runs on values
 * the schema already accepted; together they report every problem at once, before any resource.
 */
import type { RawConfig } from "../load";
import type { Parsed } from "../schema";
import { checkBalancer } from "./balancer";
import { CheckContext } from "./context";
import { checkDatabase } from "./database";
import { checkNetworks } from "./networks";
import { checkNodeNames } from "./names";
import { checkPaths } from "./paths";
import { checkPorts } from "./ports";
import { checkReleaseSettings } from "./release";
import { checkRedis, checkStorage } from "./services";
import { checkSsh } from "./ssh";
import { checkTls } from "./tls";

export function crossChecks(project: string, p: Parsed, raw: RawConfig, problems: string[]): void {
    const c: CheckContext = { project, p, raw, problems };
    for (const check of [checkNodeNames, checkPaths, checkNetworks, checkPorts, checkBalancer, checkStorage, checkDatabase, checkRedis, checkTls, checkSsh, checkReleaseSettings, checkDevServices])
        check(c);
}

function checkDevServices(c: CheckContext): void {
    if (c.p.devServices.enabled && c.p.nodes.some((n) => n.transport === "ssh"))
        c.problems.push(`${c.project}:devServices.enabled: dev services run on the local Docker engine; use them only with transport: local nodes`);
}
