// The definitions of a secure cluster (src/security/definitions.ts): the
// password hash is RabbitMQ's (checked against one the 3.10 broker made) and
// recomputed for every user; the shape is what `import_definitions` takes.
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { clusterNames } from "../../src/broker/topology.js";
import {
  clusterDefinitions,
  credentialOf,
  generatePassword,
  hashMatches,
  passwordHash,
  userDefinitions,
} from "../../src/security/definitions.js";
import { permissionsOf, userLimitsOf, vhostLimits } from "../../src/security/permissions.js";

/** A counter, so every run draws the same bytes. */
function seededRandom(): (size: number) => Buffer {
  let next = 0;
  return (size) => Buffer.from(Array.from({ length: size }, () => next++ % 256));
}

const names = clusterNames("hp-unit");

describe("password hash", () => {
  it("matches a hash RabbitMQ 3.10 made (add_user, then export_definitions)", () => {
    const fromBroker = "bEOCjsiYquStk/J97xd5+wStaq6aF3tiS9p00PNUU/t3klvn";
    expect(hashMatches(fromBroker, "pbkv test password ü")).toBe(true);
    expect(hashMatches(fromBroker, "pbkv test password u")).toBe(false);
    const salt = Buffer.from(fromBroker, "base64").subarray(0, 4);
    expect(passwordHash("pbkv test password ü", salt)).toBe(fromBroker);
  });

  it("is base64(salt ++ sha256(salt ++ password)) with a 4-byte salt", () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const decoded = Buffer.from(passwordHash("secret", salt), "base64");
    expect(decoded.length).toBe(36);
    expect(decoded.subarray(0, 4)).toEqual(salt);
    const digest = createHash("sha256")
      .update(Buffer.concat([salt, Buffer.from("secret")]))
      .digest();
    expect(decoded.subarray(4)).toEqual(digest);
  });
});

describe("generatePassword", () => {
  it("is 24 random bytes in base64url: 32 URL-safe characters", () => {
    const password = generatePassword(randomBytes);
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(password, "base64url").length).toBe(24);
    expect(generatePassword(randomBytes)).not.toBe(password);
  });
});

describe("clusterDefinitions", () => {
  const random = seededRandom();
  const credentials = [
    credentialOf(names.cluster, { kind: "operator" }, random),
    credentialOf(names.cluster, { kind: "node", address: "viewserver" }, random),
    credentialOf(names.cluster, { kind: "node", address: "server-1" }, random),
  ];
  const definitions = clusterDefinitions(names, credentials, random);

  it("makes the vhost with its limits as a vhost-limits parameter", () => {
    expect(definitions.vhosts).toEqual([{ name: "pbkv-hp-unit" }]);
    expect(definitions.parameters).toEqual([
      { vhost: "pbkv-hp-unit", component: "vhost-limits", name: "limits", value: { ...vhostLimits } },
    ]);
  });

  it("makes one user per credential, its hash that of its password, with its limits and no tags", () => {
    expect(definitions.users.map((user) => user.name)).toEqual([
      "hp-unit.operator",
      "hp-unit.node.viewserver",
      "hp-unit.node.server-1",
    ]);
    for (const [index, user] of definitions.users.entries()) {
      const credential = credentials[index]!;
      expect(hashMatches(user.password_hash, credential.password)).toBe(true);
      expect(user.hashing_algorithm).toBe("rabbit_password_hashing_sha256");
      expect(user.tags).toEqual([]);
      expect(user.limits).toEqual({ ...userLimitsOf(credential.principal) });
    }
    const salts = definitions.users.map((user) => Buffer.from(user.password_hash, "base64").subarray(0, 4));
    expect(new Set(salts.map((salt) => salt.toString("hex"))).size).toBe(salts.length);
  });

  it("grants each user the permission table's regexes and topic permissions in the vhost", () => {
    const node = { kind: "node", address: "server-1" } as const;
    const { topics, ...regexes } = permissionsOf(names, node);
    expect(definitions.permissions).toContainEqual({
      user: "hp-unit.node.server-1",
      vhost: "pbkv-hp-unit",
      ...regexes,
    });
    for (const topic of topics) {
      expect(definitions.topic_permissions).toContainEqual({
        user: "hp-unit.node.server-1",
        vhost: "pbkv-hp-unit",
        ...topic,
      });
    }
    expect(definitions.permissions).toHaveLength(3);
    expect(definitions.topic_permissions).toHaveLength(6);
    expect(definitions.permissions.every((row) => row.user !== "guest")).toBe(true);
  });
});

describe("userDefinitions", () => {
  it("holds one client user, its permissions and topic permissions, and no vhost", () => {
    const random = seededRandom();
    const credential = credentialOf(names.cluster, { kind: "client", name: "alice" }, random);
    const definitions = userDefinitions(names, credential, random);
    expect(definitions.vhosts).toEqual([]);
    expect(definitions.parameters).toEqual([]);
    expect(definitions.users.map((user) => user.name)).toEqual(["hp-unit.client.alice"]);
    expect(hashMatches(definitions.users[0]!.password_hash, credential.password)).toBe(true);
    expect(definitions.permissions.map((row) => row.user)).toEqual(["hp-unit.client.alice"]);
    expect(definitions.topic_permissions.map((row) => row.exchange)).toEqual([
      "hp-unit.net",
      "hp-unit.events",
    ]);
  });
});
