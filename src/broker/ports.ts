// Local TCP ports: is something listening, and one that nobody is (for the
// private broker and the benchmark's peers, started on ports of their own).
import net from "node:net";

const probeTimeoutMs = 1_000;

/** True when something accepts TCP connections there (a cheap test before AMQP). */
export function isPortOpen(host: string, port: number, timeoutMs = probeTimeoutMs): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** A TCP port nobody listens on now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
