/**
 * Field-by-field diffing for our dynamic providers. Without a `diff`, Pulumi compares all inputs,
 * including the serialized provider code, so every edit to this repository would show as an
 * update of every database. Here only named fields count.
 */

/** What a not-yet-known value looks like inside a dynamic provider during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True if the value is, or contains, an unknown. */
export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
    return false;
}

/** The value at a dotted path ("server.host"), or undefined. */
export function valueAt(obj: unknown, path: string): unknown {
    let cur: unknown = obj;
    for (const key of path.split(".")) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string, unknown>)[key];
    }
    return cur;
}

/** Stable JSON (sorted keys) so that key order never makes a difference. */
function canonical(value: unknown): string {
    return JSON.stringify(value, (_k, v) =>
        v && typeof v === "object" && !Array.isArray(v)
            ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
            : v,
    );
}

/** A field differs if its new value is unknown (it may change) or its JSON differs. */
export function fieldChanged(olds: unknown, news: unknown, path: string): boolean {
    const next = valueAt(news, path);
    if (containsUnknown(next)) return true;
    return canonical(valueAt(olds, path)) !== canonical(next);
}

export interface FieldDiff {
    changes: boolean;
    replaces: string[];
    stables: string[];
    deleteBeforeReplace: boolean;
}

/**
 * `replaceOn` fields force a replacement (delete first: the new resource reuses fixed names),
 * `updateOn` fields an in-place update; anything else is ignored. Replace paths are reported by
 * their top-level property, which is what the engine shows.
 */
export function diffFields(olds: unknown, news: unknown, fields: { replaceOn: string[]; updateOn: string[] }): FieldDiff {
    const replaced = fields.replaceOn.filter((p) => fieldChanged(olds, news, p));
    const updated = fields.updateOn.filter((p) => fieldChanged(olds, news, p));
    const replaces = [...new Set(replaced.map((p) => p.split(".")[0]))];
    const all = [...fields.replaceOn, ...fields.updateOn].map((p) => p.split(".")[0]);
    const touched = new Set([...replaced, ...updated].map((p) => p.split(".")[0]));
    return {
        changes: replaced.length + updated.length > 0,
        replaces,
        stables: [...new Set(all)].filter((k) => !touched.has(k)),
        deleteBeforeReplace: replaces.length > 0,
    };
}
