/** Release comparison for profiles: vX.Y.Z >= vA.B.C (a pre-release suffix is ignored). */
export function atLeast(version: string, min: string): boolean {
    const p = (v: string) => v.replace(/^v/, "").split(/[.-]/).slice(0, 3).map(Number);
    const [a, b] = [p(version), p(min)];
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
    return true;
}
