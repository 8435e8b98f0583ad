/**
 * Cross-field checks of a parsed stack config, grouped by what they protect. Each runs on values
 * the schema already accepted; together they report every problem at once, before any resource.
 */
import type { RawConfig } from "../load";
import type { Parsed } from "../schema";
import { checkBalancer } from "./balancer";
import { DEV_SERVICES } from "../defaults";
import { CheckContext, problem } from "./context";
import { checkDatabase } from "./database";
import { checkListeners } from "./listeners";
import { checkNetworks } from "./networks";
import { checkNodeNames } from "./names";
import { checkPaths } from "./paths";
import { checkPorts } from "./ports";
import { checkProfileFeatures } from "./profile";
import { checkReleaseSettings } from "./release";
import { checkRedis, checkStorage } from "./services";
import { checkSsh } from "./ssh";
import { checkTls } from "./tls";

export function crossChecks(project: string, p: Parsed, raw: RawConfig, problems: string[]): void {
    const c: CheckContext = { project, p, raw, problems };
    for (const check of [checkNodeNames, checkPaths, checkNetworks, checkPorts, checkListeners, checkBalancer, checkStorage, checkDatabase, checkRedis, checkTls, checkSsh, checkProfileFeatures, checkReleaseSettings, checkDevServices])
        check(c);
}

/** The dev services are reached by container name on their network, at the containers' own ports. */
function checkDevServices(c: CheckContext): void {
    const { p } = c;
    if (!p.devServices.enabled) return;
    if (p.nodes.some((n) => n.transport === "ssh"))
        problem(c, "devServices.enabled", "dev services run on the local Docker engine; use them only with transport: local nodes");
    const want: [string, string | undefined, number | undefined, string, number][] = [
        ["database", p.database.host, p.database.port, DEV_SERVICES.postgres, 5432],
        ["redis", p.redis.host, p.redis.port, DEV_SERVICES.redis, 6379],
    ];
    for (const [top, host, port, name, inner] of want) {
        if (host !== name) problem(c, `${top}.host`, `with devServices.enabled Harbor reaches the dev service as ${name} on its Docker network: set ${top}.host: ${name}`);
        if (port !== undefined && port !== inner) problem(c, `${top}.port`, `with devServices.enabled it is the container's own port ${inner} (the published one is only for Pulumi: database.provision.adminPort / redis.probePort)`);
    }
}
