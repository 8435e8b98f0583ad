/**
 * Answers of a real Harbor core to the calls of the upgrade's read-only window, captured on
 * 2026-12-02 from harbor_core v2.15.2 (built from the v2.15.2 tag) on PostgreSQL 15 and Redis 7,
 * started with the core env the program renders (tests/services/harbor-core-real.test.ts, which
 * checks on every run that the real core still answers exactly this). Bodies are byte for byte,
 * trailing newline included. The stand-in (harbor-config-standin.ts) replays them.
 */
const body = (code: string, message: string) => `${JSON.stringify({ errors: [{ code, message }] })}\n`;

export const CAPTURED_CORE_ANSWERS = {
    /**
     * GET /api/v2.0/internalconfig as the jobservice solution user: 200 and a map of 70 keys
     * (settings and their values, secrets included, hence not stored here); the program reads
     * only this entry.
     */
    internalconfigReadOnly: (value: boolean) => ({ editable: true, value }),
    /** PUT /api/v2.0/configurations {"read_only": …} as the jobservice solution user. */
    putConfigurations: { status: 200, body: "" },
    /** A write (here POST /api/v2.0/projects as admin) while read_only is on. */
    readOnlyWrite: { status: 403, body: body("DENIED", "The system is in read only mode. Any modification is prohibited.") },
    /** GET /api/v2.0/internalconfig with a Harbor-Secret that is not the jobservice secret. */
    wrongSecretInternalconfig: { status: 401, body: body("UNAUTHORIZED", "only internal service is allowed to call this API") },
    /** PUT /api/v2.0/configurations with that wrong secret. */
    wrongSecretPut: { status: 401, body: body("UNAUTHORIZED", "unauthorized") },
};
