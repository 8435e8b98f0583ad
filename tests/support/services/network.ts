/**
 * Loopback-only network helpers. This workplace forbids traffic to non-loopback addresses, so
 * the "unreachable server" cases are simulated on 127.0.0.1:
 *  - a port nobody listens on (the kernel answers with a TCP reset: "connection refused");
 *  - a listener that accepts connections and never says a word (a hung or firewalled server
 *    past the TCP handshake: the client must give up on its own timeout).
 */
import * as net from "net";

/** A free TCP port on 127.0.0.1 (free when returned; servers bind it right after). */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** A port with nothing listening on it: connections are refused at once. */
export async function closedPort(): Promise<number> {
    return freePort();
}

export interface SilentListener {
    port: number;
    /** How many connections it accepted (proves the client really got through TCP). */
    accepted(): number;
    close(): Promise<void>;
}

/** Accepts TCP connections and never answers, never closes them. */
export async function silentListener(): Promise<SilentListener> {
    const sockets = new Set<net.Socket>();
    let count = 0;
    const srv = net.createServer((sock) => {
        count++;
        sockets.add(sock);
        sock.on("error", () => undefined);
        sock.on("close", () => sockets.delete(sock));
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    return {
        port: (srv.address() as net.AddressInfo).port,
        accepted: () => count,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                srv.close(() => resolve());
            }),
    };
}
