/**
 * What every cross-field check sees: the parsed config (schema defaults applied), the raw values
 * (to tell "set" from "defaulted", and to read secret text without ever printing it) and a list
 * to push problems onto. A problem names the full key and the fix; it never quotes a value from a
 * field that can hold a secret.
 */
import * as ipaddr from "ipaddr.js";
import type { RawConfig } from "../load";
import type { Parsed } from "../schema";

export interface CheckContext {
    project: string;
    p: Parsed;
    raw: RawConfig;
    problems: string[];
}

export const key = (c: CheckContext, s: string) => `${c.project}:${s}`;
export const isSet = (c: CheckContext, s: string) => c.raw.values[key(c, s)] !== undefined;
export const problem = (c: CheckContext, s: string, text: string) => void c.problems.push(`${key(c, s)}: ${text}`);

/** True when the raw object config `top` spells out `field` (not a schema default). */
export function fieldSet(c: CheckContext, top: string, field: string): boolean {
    const text = c.raw.values[key(c, top)];
    if (text === undefined) return false;
    try {
        const v = JSON.parse(text) as Record<string, unknown>;
        return v !== null && typeof v === "object" && field in v;
    } catch {
        return false;
    }
}

export const isIp = (s: string) => ipaddr.IPv4.isValidFourPartDecimal(s);

export function inSubnet(ip: string, subnet: string): boolean {
    return ipaddr.IPv4.parse(ip).match(ipaddr.IPv4.parseCIDR(subnet));
}

export function subnetsOverlap(a: string, b: string): boolean {
    const [na, la] = ipaddr.IPv4.parseCIDR(a);
    const [nb, lb] = ipaddr.IPv4.parseCIDR(b);
    return la <= lb ? nb.match(na, la) : na.match(nb, lb);
}
