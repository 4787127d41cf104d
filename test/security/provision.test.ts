// The pure parts of provisioning (src/security/provision.ts): the URLs handed
// out, and which client user names are refused before the broker is asked.
import { describe, expect, it } from "vitest";
import { accessUrl, ClientNameRefusedError, clientPrincipal } from "../../src/security/provision.js";

describe("accessUrl", () => {
  it("puts the user, password and vhost into the broker URL, percent-encoded, and keeps the rest", () => {
    const credential = {
      principal: { kind: "operator" } as const,
      user: "c.operator",
      password: "a/b:c@d%e",
    };
    const url = accessUrl("amqps://guest:guest@rabbit.example:5671/?heartbeat=10", credential, "pbkv-c/x");
    expect(url).toBe("amqps://c.operator:a%2Fb%3Ac%40d%25e@rabbit.example:5671/pbkv-c%2Fx?heartbeat=10");
    // What amqplib 2 reads from it: node's URL, each part percent-decoded.
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.username)).toBe("c.operator");
    expect(decodeURIComponent(parsed.password)).toBe("a/b:c@d%e");
    expect(decodeURIComponent(parsed.pathname.slice(1))).toBe("pbkv-c/x");
  });
});

describe("clientPrincipal", () => {
  it("takes 1-32 of a-z, 0-9 and _, and refuses the rest and the reserved names", () => {
    expect(clientPrincipal("alice_2")).toEqual({ kind: "client", name: "alice_2" });
    for (const name of ["", "Alice", "a-b", "a.b", "x".repeat(33), "operator", "node"]) {
      expect(() => clientPrincipal(name), name).toThrow(ClientNameRefusedError);
    }
  });
});
