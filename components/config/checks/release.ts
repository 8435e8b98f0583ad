/** Settings the chosen Harbor release's templates cannot carry (profiles/v2/releases.ts SETTING_SINCE). */
import { SETTING_SINCE } from "../../profiles/v2/releases";
import { atLeast } from "../../profiles/version";
import { profileForVersion } from "../../profiles";
import { CheckContext, problem } from "./context";

export function checkReleaseSettings(c: CheckContext): void {
    const { p } = c;
    const version = p.harbor.version;
    // Within the 2.x line only: other lines refuse what they lack in ./profile.ts.
    if (profileForVersion(version)?.id !== "v2") return;
    const refuse = (setting: keyof typeof SETTING_SINCE, key: string, fix: string) => {
        if (!atLeast(version, SETTING_SINCE[setting])) problem(c, key, `needs Harbor ${SETTING_SINCE[setting]} or later (harbor.version is ${version}); ${fix}`);
    };
    if (p.redis.tls) refuse("redis.tls", "redis.tls", "its registry cannot speak TLS to Redis: use a newer release or a plain-TCP Redis");
    if (p.redis.username) refuse("redis.username", "redis.username", "its registry cannot log in as an ACL user: use a newer release or Redis's default user");
    if (p.harbor.jobLoggers?.includes("DB")) refuse("harbor.jobLoggers DB", "harbor.jobLoggers", "older releases always log jobs to STD_OUTPUT and FILE: remove harbor.jobLoggers");
    if (p.verify.canary === true) refuse("verify.canary", "verify.canary", "its robot accounts cannot be created the way the canary does: remove the key (the canary is off before v2.2.0)");
    if (p.harbor.maxJobDurationHours !== undefined) refuse("harbor.maxJobDurationHours", "harbor.maxJobDurationHours", "older releases stop a job after 24 h: remove the key");
}
