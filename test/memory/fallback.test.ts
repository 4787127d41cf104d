// `npm run cluster` on a machine with no broker at all (issue 13): nothing on
// the local port, no rabbitmq-server to start a private broker from, no
// Docker. It still runs, on the in-memory transport, and says why in one line
// and how to get the broker version. With a broker URL given and unreachable
// it fails clearly instead (the user asked for that broker).
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const noBrokerAnywhere = {
  RABBITMQ_URL: "",
  PBKV_LOCAL_BROKER: "amqp://guest:guest@127.0.0.1:1",
  PBKV_RABBITMQ_SERVER: "/nonexistent/rabbitmq-server",
  DOCKER_HOST: "unix:///nonexistent/docker.sock",
};

describe("npm run cluster with no broker anywhere", () => {
  it("falls back to the in-memory transport with a one-line notice", async () => {
    const run = await runCli(
      "cluster",
      ["--cluster", "fallback"],
      "put a 1\nget a\nquit\n",
      noBrokerAnywhere,
    );
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(
      /^no RabbitMQ broker \(.*\): running on the in-memory transport instead; .*apt-get install rabbitmq-server/,
    );
    expect(run.stdout).toMatch(/in-memory network \(no broker\)/);
    expect(run.stdout).toMatch(/^"1"$/m);
  }, 60_000);

  it("fails clearly when the broker was named and cannot be reached", async () => {
    const run = await runCli(
      "cluster",
      ["--cluster", "fallback", "--url", "amqp://guest:guest@127.0.0.1:1"],
      "",
      noBrokerAnywhere,
    );
    expect(run.code).toBe(69);
    expect(run.stdout).not.toMatch(/in-memory/);
    expect(run.stderr).toMatch(/127\.0\.0\.1:1/);
  }, 60_000);
});
