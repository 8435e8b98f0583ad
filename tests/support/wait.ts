/** Polls `f` every 50 ms until it holds; returns how long that took, or throws after `ms`. */
export async function until(f: () => boolean, ms: number): Promise<number> {
    const start = Date.now();
    while (!f()) {
        if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - start;
}
